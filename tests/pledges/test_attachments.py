"""Photos and documents on the phone: a member uploads a photo with a progress record and sees it
(and its thumbnail) with the same sign-in; exactly those who may read the record get the file."""
from __future__ import annotations

import io
import os
import threading
from urllib.parse import quote

from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from pledges.attachments import THUMBNAIL_BOX, thumbnail_ensure, thumbnail_name
from pledges.models import Attachment
from tenants.services import unit_run
from tests.conftest import api_client_for, console_client, unit_url

from .support import stored_files_removed  # noqa: F401 (a fixture)

PHOTO_NAME = "入户走访照片.jpg"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def photo_bytes(size=(1200, 800), kind="JPEG", mode="RGB", color=(200, 30, 30), exif=None) -> bytes:
    out = io.BytesIO()
    picture = Image.new(mode, size, color)
    picture.save(out, kind, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def record_with(client, A, *files, text="走访5户，附照片") -> dict:
    response = client.post(unit_url(A, f"items/{A.item_id}/records/"), {"text": text, "files": list(files)}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def an_uploaded_photo(world, content: bytes | None = None, name: str = PHOTO_NAME) -> tuple[dict, bytes]:
    A = world["A"]
    content = content if content is not None else photo_bytes()
    record = record_with(api_client_for(A.member), A, SimpleUploadedFile(name, content, content_type="image/jpeg"))
    return record["attachments"][0], content


def test_a_member_sees_the_photo_they_uploaded_with_the_same_token(world, db, stored_files_removed):
    A = world["A"]
    member = api_client_for(A.member)
    content = photo_bytes()
    record = record_with(member, A, SimpleUploadedFile(PHOTO_NAME, content, content_type="image/jpeg"))
    photo = record["attachments"][0]
    assert photo["url"] == unit_url(A, f"attachments/{photo['id']}/")
    assert photo["thumbnail_url"] == photo["url"] + "?size=thumb"
    assert photo["name"] == PHOTO_NAME

    response = member.get(photo["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/jpeg"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=UTF-8''{quote(PHOTO_NAME)}" in disposition  # the Chinese name survives (RFC 5987)
    assert f'filename="attachment-{photo["id"]}.jpg"' in disposition  # and clients that read only `filename` get a plain one
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private") and "max-age=31536000" in response["Cache-Control"]
    # The list shows the same addresses as the upload's answer.
    listed = member.get(unit_url(A, f"items/{A.item_id}/records/")).json()["results"][0]["attachments"][0]
    assert (listed["url"], listed["thumbnail_url"]) == (photo["url"], photo["thumbnail_url"])

    again = member.get(photo["url"], HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and not again.content
    assert again["Cache-Control"] == response["Cache-Control"]


def test_an_ascii_name_is_given_as_it_is(world, db, stored_files_removed):
    photo, _content = an_uploaded_photo(world, name="visit.jpg")
    response = api_client_for(world["A"].member).get(photo["url"])
    assert response["Content-Disposition"] == "inline; filename=\"visit.jpg\"; filename*=UTF-8''visit.jpg"


def test_the_thumbnail_is_a_small_jpeg_made_once_beside_the_photo(world, db, stored_files_removed):
    A = world["A"]
    photo, _content = an_uploaded_photo(world, photo_bytes(size=(1600, 900)))
    member = api_client_for(A.member)
    response = member.get(photo["thumbnail_url"])
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert thumb.format == "JPEG" and max(thumb.size) <= THUMBNAIL_BOX
    assert thumb.size == (THUMBNAIL_BOX, 180)  # the photo's proportions, within the box
    assert f"filename*=UTF-8''{quote('入户走访照片.jpg')}" in response["Content-Disposition"]
    assert response["ETag"] != member.get(photo["url"])["ETag"]

    with unit_run(A.unit):
        stored = Attachment.objects.get(pk=photo["id"]).file.name
        kept = default_storage.path(thumbnail_name(stored))
        assert os.path.dirname(kept) == os.path.dirname(default_storage.path(stored)) and os.path.isfile(kept)
    made_at = os.stat(kept).st_mtime_ns
    assert b"".join(member.get(photo["thumbnail_url"]).streaming_content) == open(kept, "rb").read()
    assert os.stat(kept).st_mtime_ns == made_at  # served again, not made again


def test_a_sideways_phone_photo_gets_an_upright_thumbnail(world, db, stored_files_removed):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° to show (how phones store portrait photos)
    photo, _content = an_uploaded_photo(world, photo_bytes(size=(1200, 600), exif=exif))
    response = api_client_for(world["A"].member).get(photo["thumbnail_url"])
    thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert thumb.size == (160, THUMBNAIL_BOX)
    assert not thumb.getexif()  # nothing of the photo's metadata (e.g. where it was taken) in the thumbnail


def test_a_transparent_png_gets_a_jpeg_thumbnail_on_white(world, db, stored_files_removed):
    A = world["A"]
    png = photo_bytes(size=(400, 400), kind="PNG", mode="RGBA", color=(0, 0, 0, 0))
    record = record_with(api_client_for(A.member), A, SimpleUploadedFile("签到表.png", png, content_type="image/png"))
    attachment = record["attachments"][0]
    original = api_client_for(A.member).get(attachment["url"])
    assert original["Content-Type"] == "image/png" and original["Content-Disposition"].startswith("inline;")
    thumb = Image.open(io.BytesIO(b"".join(api_client_for(A.member).get(attachment["thumbnail_url"]).streaming_content)))
    assert thumb.mode == "RGB" and thumb.size == (THUMBNAIL_BOX, THUMBNAIL_BOX)
    assert min(thumb.getpixel((10, 10))) > 240  # white, not black


def test_a_pdf_is_a_download_and_has_no_thumbnail(world, db, stored_files_removed):
    A = world["A"]
    member = api_client_for(A.member)
    record = record_with(member, A, SimpleUploadedFile("活动记录.pdf", PDF, content_type="application/pdf"))
    document = record["attachments"][0]
    assert document["content_type"] == "application/pdf" and document["thumbnail_url"] is None
    response = member.get(document["url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"filename*=UTF-8''{quote('活动记录.pdf')}" in response["Content-Disposition"]
    asked = member.get(document["url"] + "?size=thumb")
    assert asked.status_code == 404 and asked.json()["error"]["code"] == "not_found"


def test_a_name_that_ends_otherwise_than_the_type_gets_the_types_extension(world, db, stored_files_removed):
    A = world["A"]
    member = api_client_for(A.member)
    record = record_with(member, A, SimpleUploadedFile("通知.exe", PDF, content_type="application/octet-stream"),
                         SimpleUploadedFile("现场.JPEG", photo_bytes(), content_type="image/jpeg"))
    document, photo = record["attachments"]
    assert document["name"] == "通知.exe"  # as the uploader named it
    disposition = member.get(document["url"])["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote('通知.exe.pdf')}" in disposition
    assert f'filename="attachment-{document["id"]}.pdf"' in disposition
    assert f"filename*=UTF-8''{quote('现场.JPEG')}" in member.get(photo["url"])["Content-Disposition"]


def test_a_photo_pillow_cannot_read_has_no_thumbnail_and_leaves_nothing_behind(world, db, stored_files_removed):
    A = world["A"]
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the right first bytes, then nothing of a picture
    record = record_with(api_client_for(A.member), A, SimpleUploadedFile("坏图.png", broken, content_type="image/png"))
    attachment = record["attachments"][0]
    assert api_client_for(A.member).get(attachment["url"]).status_code == 200  # the file itself, as uploaded
    asked = api_client_for(A.member).get(attachment["thumbnail_url"])
    assert asked.status_code == 404 and asked.json()["error"]["message"]
    with unit_run(A.unit):
        folder = os.path.dirname(Attachment.objects.get(pk=attachment["id"]).file.path)
    assert not [f for f in os.listdir(folder) if f.endswith(".part") or ".thumb" in f and "坏" in f]


def test_who_may_read_the_record_gets_the_file_and_everyone_else_404(world, db, stored_files_removed):
    A, B = world["A"], world["B"]
    photo, content = an_uploaded_photo(world)
    # Who made, reviews (the branch's secretary) or runs the pledge.
    for user in (A.member, A.secretary, A.admin):
        for address in (photo["url"], photo["thumbnail_url"]):
            assert api_client_for(user).get(address).status_code == 200, (user, address)
    # A member of another branch sees the published pledge, not its records: as if there were no file.
    for address in (photo["url"], photo["thumbnail_url"]):
        refused = api_client_for(A.other_member).get(address)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    # Another unit's people, and unit A's id at unit B's address.
    for user in (B.member, B.secretary, B.admin, world.outsider):
        assert api_client_for(user).get(photo["url"]).status_code == 404
    assert api_client_for(A.admin).get(unit_url(A, f"attachments/{10**20}/")).status_code == 404  # beyond any id: nothing, not a 500
    at_b = api_client_for(B.admin).get(unit_url(B, f"attachments/{photo['id']}/"))
    assert at_b.status_code == 404 and content not in at_b.content


def test_the_file_goes_to_exactly_those_who_see_the_whole_pledge(world, db, stored_files_removed):
    """Whoever gets the pledge's whole page (its history: pledges.selectors.is_involved) gets
    the record's files; whoever gets the public view of it does not."""
    A = world["A"]
    photo, _content = an_uploaded_photo(world)
    seen = {}
    for user in (A.admin, A.secretary, A.member, A.other_member, world.county_admin_k1):
        client = api_client_for(user)
        page = client.get(unit_url(A, f"pledges/{A.pledge_id}/"))
        assert page.status_code == 200
        seen[user.username] = ("events" in page.json(), client.get(photo["url"]).status_code)
    assert all(status == (200 if whole else 404) for whole, status in seen.values()), seen
    assert {whole for whole, _status in seen.values()} == {True, False}, seen  # both kinds of caller were asked


def test_the_selector_agrees_with_who_sees_the_whole_pledge_for_every_kind_of_pledge(world, db):
    """A file on each kind of pledge (a draft, one under review, a published one, a collective one
    with co-members), asked for by each kind of caller, by id and by stored name: found exactly
    when the caller sees the pledge and is involved in it (pledges.selectors.is_involved)."""
    from datetime import timedelta

    from pledges import selectors, services
    from pledges.models import Pledge, PledgeItem
    from tenants.organization.caller import caller_for
    from tenants.organization.models import Organization

    from .support import TODAY, member_items, member_of, round_around_today, submitted_pledge, who

    A = world["A"]
    with unit_run(A.unit):
        round = round_around_today(theme="附件")
        proposing = TODAY - timedelta(days=80)
        services.pledge_create(round=round, who=who(A.other_member), items=member_items(), today=proposing)  # a draft
        submitted_pledge(A, round, user=A.secretary, items=member_items(main=3))  # a leader pledges one more
        services.pledge_create(
            round=round, who=who(A.secretary), subject=Pledge.Subject.COLLECTIVE, organization=Organization.objects.get(pk=A.branch_id),
            co_members=[member_of(A.member), member_of(A.secretary)], items=member_items(corrections=0), today=proposing)
        pledge_ids = [*Pledge.objects.filter(round=round).values_list("pk", flat=True), A.pledge_id]
        files = {}
        for pledge_id in pledge_ids:
            item = PledgeItem.objects.filter(pledge_id=pledge_id).first()
            files[pledge_id] = Attachment.objects.create(item=item, file=f"pledges/test/{pledge_id}.jpg", name="证明.jpg",
                                                         content_type="image/jpeg", size=1)
        callers = {"maker": who(A.member), "other branch": who(A.other_member), "secretary": who(A.secretary),
                   "admin": who(A.admin, admin=True), "county": caller_for(user_id=world.county_admin_k1.pk, is_read_only=True)}
        seen = set()
        for name, caller in callers.items():
            for pledge_id, attachment in files.items():
                pledge = selectors.pledge_detail(who=caller).filter(pk=pledge_id).first()
                may = pledge is not None and selectors.is_involved(
                    pledge=pledge, who=caller, co_member_ids={m.pk for m in pledge.co_members.all()})
                by_id = selectors.attachment_readable(who=caller, attachment_id=attachment.pk)
                by_name = selectors.attachment_readable(who=caller, stored_name=attachment.file.name)
                assert (by_id is not None, by_name is not None) == (may, may), (name, pledge_id)
                assert by_id is None or by_id["id"] == by_name["id"] == attachment.pk
                seen.add((pledge is not None, may))
    assert seen == {(True, True), (True, False), (False, False)}  # every case was met


def test_close_out_evidence_is_served_to_the_pledges_people_only(world, db, stored_files_removed):
    A = world["A"]
    member, secretary = api_client_for(A.member), api_client_for(A.secretary)
    member.post(unit_url(A, f"items/{A.item_id}/close-request/"), {}, format="json")
    evidence = SimpleUploadedFile("销号佐证.jpg", photo_bytes(), content_type="image/jpeg")
    closed = secretary.post(unit_url(A, f"items/{A.item_id}/close/"), {"evidence": "照片为证", "files": [evidence]}, format="multipart")
    assert closed.status_code == 200, closed.content
    item = next(i for i in member.get(unit_url(A, f"pledges/{A.pledge_id}/")).json()["items"] if i["id"] == A.item_id)
    shown = item["close_attachments"][0]
    assert shown["name"] == "销号佐证.jpg" and shown["thumbnail_url"]
    assert member.get(shown["url"]).status_code == 200
    assert member.get(shown["thumbnail_url"]).status_code == 200
    assert api_client_for(A.other_member).get(shown["url"]).status_code == 404


def test_without_a_token_the_answer_is_401_in_the_envelope(world, db, stored_files_removed):
    photo, content = an_uploaded_photo(world)
    response = api_client_for(None).get(photo["url"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated" and content not in response.content


def test_an_unknown_size_is_a_400_in_chinese(world, db, stored_files_removed):
    photo, _content = an_uploaded_photo(world)
    member = api_client_for(world["A"].member)
    for query in ("?size=huge", "?size=", "?size=THUMB"):
        response = member.get(photo["url"] + query)
        assert response.status_code == 400, query
        error = response.json()["error"]
        assert error["code"] == "invalid" and set(error["fields"]) == {"size"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"] + error["fields"]["size"][0])


def test_a_client_that_accepts_only_pictures_gets_the_picture_and_errors_as_json(world, db, stored_files_removed):
    photo, _content = an_uploaded_photo(world)
    member = api_client_for(world["A"].member)
    assert member.get(photo["url"], HTTP_ACCEPT="image/*").status_code == 200
    refused = member.get(photo["url"] + "?size=huge", HTTP_ACCEPT="image/*")
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["size"]


def test_the_console_session_reads_files_through_the_same_rules(world, db, stored_files_removed):
    """The old address (/u/<unit>/files/<stored name>) leads the console to the file's API
    address, where the session is read like a token."""
    A = world["A"]
    photo, content = an_uploaded_photo(world)
    with unit_run(A.unit):
        stored = Attachment.objects.get(pk=photo["id"]).file.name
    browser = console_client(A.admin)
    moved = browser.get(f"/u/unit-a/files/{stored}")
    assert moved.status_code == 302 and moved["Location"] == photo["url"]
    served = browser.get(moved["Location"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == content
    assert console_client(A.other_member).get(f"/u/unit-a/files/{stored}").status_code == 404
    assert console_client(A.other_member).get(photo["url"]).status_code == 404
    assert browser.get("/u/unit-a/files/pledges/no-such-file.jpg").status_code == 404


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        assert response.status_code == 200
        b"".join(response.streaming_content)
    return sum(1 for q in captured.captured_queries if not q["sql"].startswith("SET search_path"))


def test_a_file_costs_the_same_few_queries_whoever_asks_and_however_many_there_are(world, db, stored_files_removed):
    A = world["A"]
    first, _content = an_uploaded_photo(world)
    member, secretary, admin = api_client_for(A.member), api_client_for(A.secretary), api_client_for(A.admin)
    member.get(first["thumbnail_url"])  # the thumbnail made: from here on only served
    counts = {(name, size): _queries(client, first["url"] + size)
              for name, client in (("member", member), ("secretary", secretary), ("admin", admin)) for size in ("", "?size=thumb")}
    # The route in the public schema (unit, roles, token's owner), the caller, the file: three.
    assert set(counts.values()) == {3}, counts
    for _ in range(3):
        an_uploaded_photo(world)
    assert _queries(member, first["url"]) == 3


def test_thumbnails_made_at_once_by_several_requests_come_out_whole(world, db, stored_files_removed):
    A = world["A"]
    photo, _content = an_uploaded_photo(world, photo_bytes(size=(3000, 2000)))
    with unit_run(A.unit):
        stored = Attachment.objects.get(pk=photo["id"]).file.name
        folder = os.path.dirname(default_storage.path(stored))
        storage = FileSystemStorage(location=default_storage.location)  # the unit's folder, for threads without its connection
        start, names, failures = threading.Barrier(6), [], []

        def make():
            start.wait()
            try:
                names.append(thumbnail_ensure(stored_name=stored, storage=storage))
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [threading.Thread(target=make) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures and names == [thumbnail_name(stored)] * 6
    thumb = Image.open(storage.path(names[0]))
    thumb.load()
    assert thumb.size == (THUMBNAIL_BOX, 213)
    assert not [f for f in os.listdir(folder) if f.endswith(".part")]


def test_the_endpoint_is_documented_with_a_binary_answer_and_the_error_envelope(world, db):
    schema = api_client_for(None).get("/api/v1/schema/?format=json").json()
    answers = schema["paths"]["/api/v1/u/{unit}/attachments/{id}/"]["get"]["responses"]
    assert {"image/jpeg", "image/png", "image/webp", "application/pdf"} <= set(answers["200"]["content"])
    assert answers["200"]["content"]["image/jpeg"]["schema"] == {"type": "string", "format": "binary"}
    for status in ("400", "401", "404"):
        assert answers[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    attachment = schema["components"]["schemas"]["Attachment"]["properties"]
    assert "null" in attachment["thumbnail_url"]["type"] and "url" in attachment
