"""A demo evaluation (评诺), for `make run`: one unit whose round has moved on to its evaluation
phase, with every kind of ballot in. Its first branch's public panel reached the quorum, its second
fell short of it (the screen says how many more were needed), a few evaluators and members did not
vote (the chase list); the scores are current, and the unit has published them to its members:
three members commended, one under rectification two steps up the accountability ladder.

Every step goes through the services, as the people would take it. Seeding again changes nothing.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import UnitRole
from audit.context import acting
from evaluations import results, selectors, services
from evaluations.models import Evaluation, PanelMember
from evaluations.tallies import scores_apply_pending
from pledges.models import PledgeItem, Round
from tenants.organization.caller import Caller, caller_for
from tenants.organization.models import Member, Organization
from tenants.services import unit_run

GRADES = ["satisfied", "fairly_satisfied", "basically_satisfied", "dissatisfied"]
PANEL = [
    ("public_representative", "群众代表"), ("served", "服务对象"), ("partner_head", "结对共建单位负责人"), ("deputy", "人大代表"),
]
PANEL_NAMES = "赵大爷 钱阿姨 孙师傅 李老师 周大姐 吴村长 郑主任 王经理 冯代表 陈委员 褚大哥 卫阿婆 蒋会计 沈医生 韩站长 杨老板".split()
COMMENTS = ["办事热心，随叫随到", "抢修及时，服务态度好", "希望多到片区走走", "承诺的事都办到了", "工作认真负责"]
REPORTS = [
    "一年来我按照承诺，坚持每月走访联系户，完成了全部承诺事项，群众反映的问题都在一周内答复。不足是学习笔记写得不够。",
    "今年承诺的三件事完成了两件，线路改造因为物资到货晚推迟到下月完成。今后要提前谋划，按时践诺。",
    "认真履行岗位职责，带头参加志愿服务，全年参加主题党日12次。",
]


def _pick(rng: random.Random, good: bool = True) -> str:
    return rng.choices(GRADES, [60, 28, 9, 3] if good else [30, 35, 25, 10])[0]


def demo_evaluation_seed(*, unit, today: date | None = None) -> dict[str, int] | None:
    """Open the unit's round's evaluation (moved so that it began a few days ago) and cast the
    ballots. None when the unit already has an evaluation."""
    today = today or timezone.localdate()
    rng = random.Random(f"jiannuo-demo-evaluation-{unit.slug}")
    with unit_run(unit), acting(source="demo"):
        if Evaluation.objects.exists():
            return None
        with transaction.atomic():
            round = Round.objects.get()
            Round.objects.filter(pk=round.pk).update(evaluate_on=today - timedelta(days=4), ends_on=today + timedelta(days=26))
            round.refresh_from_db()
            admin_id = UnitRole.objects.filter(unit=connection.tenant, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True).first()
            admin = caller_for(user_id=admin_id, is_unit_admin=True)
            evaluation = services.evaluation_prepare(round=round, who=admin, today=today)
            services.rights_issue(evaluation=evaluation, today=today)
            branches = list(Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("sort_order", "pk"))
            counts = {"public ballots": 0, "peer ballots": 0, "reviews": 0, "self-evaluations": 0}
            names = iter(PANEL_NAMES * 3)
            for position, branch in enumerate(branches):
                members = list(Member.objects.filter(branch=branch, status__in=("active", "mobile")).order_by("pk"))
                secretary = caller_for(user_id=Member.objects.get(pk=branch.secretary_id).user_id) if branch.secretary_id else None
                # The first branch reaches its quorum with one evaluator still to come; the others are short of it.
                quorum = -(-len(members) * evaluation.public_quorum_percent // 100)
                panel_size, voting = (quorum + 1, quorum) if position == 0 else (quorum, max(3, quorum // 2))
                people = [(next(names), PANEL[i % len(PANEL)][0]) for i in range(panel_size)]
                issued = services.panel_register(evaluation=evaluation, branch=branch, who=secretary or admin, people=people)
                for _person, secret in issued[:voting]:
                    graded = services.branch_members_to_grade(branch_id=branch.pk)
                    grades = {pk: _pick(rng) for pk in graded}
                    comments = {pk: rng.choice(COMMENTS) for pk in rng.sample(sorted(graded), k=min(2, len(graded)))}
                    services.ballot_cast(secret=secret, grades=grades, comments=comments, today=today)
                    counts["public ballots"] += 1
                for i, member in enumerate(members):
                    voter = caller_for(user_id=member.user_id) if member.user_id else Caller(user_id=None, member=member)
                    if i % 6 != 5:  # most have cast their peer ballot; a few are still to
                        others = {pk: _pick(rng) for pk in services.ballot_subjects(evaluation=evaluation, method="peer", voter=member)}
                        if others:
                            services.member_ballot_cast(evaluation=evaluation, who=voter, method="peer", grades=others, today=today)
                            counts["peer ballots"] += 1
                    if secretary is not None and member.pk != branch.secretary_id:
                        services.review_record(evaluation=evaluation, who=secretary, subject=member, method="leader", stage="interim",
                                               grade=_pick(rng), comment="上半年完成承诺进度过半，继续保持。", today=round.fulfil_on + timedelta(days=60))
                        services.review_record(evaluation=evaluation, who=secretary, subject=member, method="leader", stage="year_end",
                                               grade=_pick(rng), comment=rng.choice(COMMENTS), today=today)
                        counts["reviews"] += 2
                    services.review_record(evaluation=evaluation, who=admin, subject=member, method="organisation", stage="year_end",
                                           grade=_pick(rng), today=today)
                    counts["reviews"] += 1
                    if i % 4 != 3:
                        items = PledgeItem.objects.filter(pledge__round=round, pledge__member=member).values_list("pk", flat=True)
                        services.self_assess(evaluation=evaluation, who=voter, grade=_pick(rng), report=REPORTS[i % len(REPORTS)],
                                             item_notes={pk: "已按承诺完成" for pk in items[:2]}, today=today)
                        counts["self-evaluations"] += 1
                if branch.secretary_id:
                    services.branch_report_write(evaluation=evaluation, who=secretary, branch=branch, today=today,
                                                 text=f"{branch.name}全年组织党员公开承诺，承诺事项按期践诺，群众评议满意度较高。")
            # The committee's secretary reviews each branch secretary (the level above, 002).
            committee = Organization.objects.filter(kind=Organization.Kind.COMMITTEE, secretary__isnull=False).first()
            if committee is not None:
                above = caller_for(user_id=committee.secretary.user_id)
                for branch in branches:
                    if branch.secretary_id and branch.secretary_id != committee.secretary_id:
                        services.review_record(evaluation=evaluation, who=above, subject=branch.secretary, method="leader", stage="year_end",
                                               grade=_pick(rng), comment="支部工作扎实", today=today)
                        counts["reviews"] += 1
        # What a worker does after each ballot, done here so the demo's figures are there at once.
        scores_apply_pending(evaluation_id=evaluation.pk)
        counts["evaluators still to vote"] = PanelMember.objects.filter(evaluation=evaluation, token__isnull=False).count()
        with transaction.atomic():
            # The unit has published its results to every member: the best are commended, and the
            # lowest-scored member is under rectification, two steps up the accountability ladder.
            results.results_publish(evaluation=evaluation, who=admin, scope="unit", today=today)
            rows = [r for r in selectors.result_rows(evaluation=evaluation) if r["score"] is not None]
            best = sorted(rows, key=lambda r: (-r["score"], r["member"]["id"]))[:3]
            for row in best:
                results.commendation_add(evaluation=evaluation, who=admin, member=Member.objects.get(pk=row["member"]["id"]),
                                         reason="践诺成效突出，群众满意度高", today=today)
            lowest = min(rows, key=lambda r: (r["score"], r["member"]["id"]), default=None)
            if lowest is not None and lowest not in best:
                rectification = results.rectification_open(
                    evaluation=evaluation, who=admin, member=Member.objects.get(pk=lowest["member"]["id"]),
                    reason="群众评议满意度偏低，承诺事项推进慢", deadline=today + timedelta(days=30), today=today)
                results.accountability_step_take(rectification=rectification, who=admin, step="oral_reminder",
                                                 note="支部书记谈话提醒", today=today)
                results.accountability_step_take(rectification=rectification, who=admin, step="deadline_rectification",
                                                 note="限期一个月整改到位", today=today)
                counts["rectifications"] = 1
            counts["commended"] = len(best)
    return counts
