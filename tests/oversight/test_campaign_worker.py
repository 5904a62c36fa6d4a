"""A campaign launched for real: committed, fanned out by a real Celery worker on the
county queue, each unit's round opened by its own unit task."""
import os
import signal

import pytest
from django.db import connection, transaction

from notifications.models import OutboxMessage
from oversight.models import Campaign, CampaignLaunch
from oversight.services import campaign_create, campaign_launch
from pledges.models import Round
from tenants.services import unit_run
from tests.jiannuo.test_celery import _start_worker, _wait
from tests.pledges.support import TODAY, round_dates


@pytest.mark.worker
def test_a_real_worker_opens_the_round_in_every_unit_of_the_county(world, django_db_blocker, brokers_in_turn):
    worker = _start_worker("county")
    campaign = None
    try:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            with transaction.atomic():
                campaign = campaign_create(jurisdiction=world.counties["K1"], year=TODAY.year, theme="真实队列", dates=round_dates(), by=world.county_admin_k1)
                campaign_launch(campaign=campaign)

            def launched() -> bool:
                connection.set_schema_to_public()
                return CampaignLaunch.objects.filter(campaign=campaign, status=CampaignLaunch.Status.LAUNCHED).count() == 2

            assert _wait(launched, 90), list(CampaignLaunch.objects.filter(campaign=campaign).values_list("unit__slug", "status", "detail"))
            for key in "AB":
                with unit_run(world[key].unit):
                    assert Round.objects.filter(campaign_id=campaign.pk).count() == 1
            with unit_run(world["C"].unit):
                assert not Round.objects.filter(campaign_id=campaign.pk).exists()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)
        if campaign is not None:
            with django_db_blocker.unblock():
                for key in "AB":
                    with unit_run(world[key].unit):
                        Round.objects.filter(campaign_id=campaign.pk).delete()
                        OutboxMessage.objects.filter(dedupe_key=f"campaign:{campaign.pk}").delete()
                connection.set_schema_to_public()
                Campaign.objects.filter(pk=campaign.pk).delete()
