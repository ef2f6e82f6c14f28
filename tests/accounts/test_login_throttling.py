"""Login throttling through HTTP (django-axes): real failed logins on /connexion/ and /admin/login/; once
the limit is reached the right password is refused with the French message, per username and per address."""

import pytest
from django.conf import settings

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOCKED = "Trop de tentatives de connexion échouées"


def _post(client, url, username, password, address="203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_right_password_is_refused_after_the_limit_on_the_login_page(client):
    user = make_user()
    limit = settings.AXES_FAILURE_LIMIT
    assert limit >= 3
    for _ in range(limit - 1):
        response = _post(client, "/connexion/", user.username, "mauvais")
        assert response.status_code == 200
        assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    # Below the limit the right password still works, and clears the count.
    assert _post(client, "/connexion/", user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(limit):
        _post(client, "/connexion/", user.username, "mauvais")
    response = _post(client, "/connexion/", user.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert (
        LOCKED in page and f"pendant {int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} minutes" in page
    )
    assert "_auth_user_id" not in client.session
    # Locked by username: another address does not help, and the case of the name does not either.
    assert _post(client, "/connexion/", user.username, PASSWORD, address="198.51.100.9").status_code == 429
    assert _post(client, "/connexion/", user.username.upper(), "x", address="198.51.100.9").status_code == 429


def test_one_address_is_locked_whatever_the_usernames_it_tries(client):
    victim = make_user()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _post(client, "/connexion/", f"essai{n}", "mauvais", address="192.0.2.44")
    assert _post(client, "/connexion/", victim.username, PASSWORD, address="192.0.2.44").status_code == 429
    # The same account from another address is not locked.
    assert _post(client, "/connexion/", victim.username, PASSWORD, address="192.0.2.45").status_code == 302


def test_admin_login_is_throttled_too(client):
    admin = make_user(superuser=True)
    statuses = [
        _post(client, "/admin/login/", admin.username, "mauvais").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT + 2)
    ]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the admin's login form, with its error
    assert set(statuses[limit - 1 :]) == {429}  # the failure that reaches the limit locks at once
    response = _post(client, "/admin/login/", admin.username, PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_behind_a_proxy_the_address_comes_from_the_proxy_and_cannot_be_forged(client, settings):
    settings.TANDEM_PROXY_COUNT = 1
    victim = make_user()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new fake address each time; the proxy appends the real one.
        client.post(
            "/connexion/",
            {"username": f"essai{n}", "password": "mauvais"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.50",
        )
    locked = client.post(
        "/connexion/",
        {"username": victim.username, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.50",
    )
    assert locked.status_code == 429
    other_client = client.post(
        "/connexion/",
        {"username": victim.username, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.51",
    )
    assert other_client.status_code == 302
