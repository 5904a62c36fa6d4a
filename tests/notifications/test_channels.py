"""The outside channels' real providers: e-mail through Django's mail backend, and the WeCom and
DingTalk group robots posting to their webhooks (here a local HTTP server playing the robot)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import override_settings

from notifications import services
from notifications.channels import DingTalkRobotProvider, EmailProvider, Message, PermanentFailure, TemporaryFailure, WeComRobotProvider
from notifications.models import ChatRobot, Delivery, Notice
from notifications.services import deliveries_send_due, outbox_deliver_pending
from tenants.services import unit_run


class Robot(BaseHTTPRequestHandler):
    answers: list = []  # (status, body) per request, in order
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Robot.received.append((self.path, json.loads(self.rfile.read(length))))
        status, body = Robot.answers.pop(0) if Robot.answers else (200, {"errcode": 0, "errmsg": "ok"})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    Robot.answers, Robot.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_dingtalk_signs_and_wecom_posts_the_text(robot):
    DingTalkRobotProvider().send(Message(to=f"{robot}/robot/send?access_token=abc", title="学习通知", body="周五下午", key="1", secret="SEC123"))
    WeComRobotProvider().send(Message(to=f"{robot}/cgi-bin/webhook/send?key=k", title="学习通知", body="周五下午", key="2"))
    (ding_path, ding_body), (wecom_path, wecom_body) = Robot.received
    query = parse_qs(urlsplit(ding_path).query)
    assert query["access_token"] == ["abc"] and query["timestamp"][0].isdigit() and query["sign"][0]
    assert ding_body == wecom_body == {"msgtype": "text", "text": {"content": "学习通知\n周五下午"}}


def test_robot_answers_are_told_apart(robot):
    Robot.answers = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), (200, {"errcode": 93000, "errmsg": "invalid webhook"}),
                     (503, {}), (404, {})]
    provider = WeComRobotProvider()
    message = Message(to=f"{robot}/send", title="t", body="", key="1")
    with pytest.raises(TemporaryFailure):  # too fast: try again later
        provider.send(message)
    with pytest.raises(PermanentFailure):  # a removed robot
        provider.send(message)
    with pytest.raises(TemporaryFailure):
        provider.send(message)
    with pytest.raises(PermanentFailure):
        provider.send(message)


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_email_goes_through_djangos_mail_backend():
    EmailProvider().send(Message(to="member@example.cn", title="学习通知", body="周五下午", key="1"))
    [sent] = mail.outbox
    assert sent.to == ["member@example.cn"] and sent.subject == "学习通知" and sent.body == "周五下午"


def test_a_notice_to_an_organisation_posts_once_to_its_robots_and_records_a_refusal(world, db, robot):
    A = world["A"]
    providers = {channel: "tests.support.providers.MemoryProvider" for channel in ("email", "sms")}
    providers |= {"wecom": "notifications.channels.WeComRobotProvider", "dingtalk": "notifications.channels.DingTalkRobotProvider"}
    with override_settings(JIANNUO_NOTICE_PROVIDERS=providers), unit_run(A.unit):
        own = ChatRobot.objects.create(organization_id=A.branch_id, channel="wecom", name="一支部群", webhook_url=f"{robot}/branch1")
        ChatRobot.objects.create(organization_id=A.branch2_id, channel="wecom", name="二支部群", webhook_url=f"{robot}/branch2")
        gone = ChatRobot.objects.create(organization_id=A.group_id, channel="dingtalk", name="党小组群", webhook_url=f"{robot}/group")
        notice = services._notice_record(kind=Notice.Kind.ANNOUNCEMENT, title="支部学习", audience={"kind": "organisations", "organisations": [A.branch_id]},
                                         channels=["wecom", "dingtalk"])
        outbox_deliver_pending()
        outbox_deliver_pending()
        assert sorted(Delivery.objects.filter(notice=notice).values_list("robot__name", flat=True)) == ["一支部群", "党小组群"]  # branch 1 and the group below it
        Robot.answers = [(200, {"errcode": 0}), (200, {"errcode": 310000, "errmsg": "sign not match"})]
        deliveries_send_due()
        assert sorted(path for path, _body in Robot.received) == ["/branch1", "/group"]
        assert Delivery.objects.get(robot=own).status == "sent"
        refused = Delivery.objects.get(robot=gone)
        assert refused.status == "failed" and "310000" in refused.last_error
        assert deliveries_send_due() == 0 and len(Robot.received) == 2  # once each
