"""Health endpoints for load balancers and Kubernetes probes: liveness touches nothing, readiness
checks the database and the broker and says which one failed."""
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def test_liveness_answers_without_touching_the_database(db):
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert len(queries) == 0


def test_readiness_checks_the_database_and_the_broker(db):
    response = Client().get("/healthz/ready")
    assert response.status_code == 200 and response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_readiness_names_an_unreachable_broker(db):
    from jiannuo.celery import app
    from tests.support.workers import broker_unreachable

    restore = broker_unreachable(app)
    try:
        response = Client().get("/healthz/ready")
    finally:
        restore()
    assert response.status_code == 503 and response.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unavailable"}}



def test_readiness_names_an_unreachable_database(world, django_db_blocker):
    """The process's own connection, pointed for one request at a port where no database listens:
    a real connection attempt, refused (outside a test transaction, which it would break)."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT="9")  # the discard port: refused at once
        try:
            response = Client().get("/healthz/ready")
        finally:
            connection.close()
            connection.settings_dict.update(saved)
        assert Client().get("/healthz/ready").status_code == 200  # and ready again once it answers
    assert response.status_code == 503 and response.json() == {"status": "unavailable", "checks": {"database": "unavailable", "broker": "ok"}}
