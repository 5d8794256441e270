import pytest
from allauth.account.models import EmailAddress

from learningcity.accounts.models import User
from learningcity.accounts.roles import city_admin_group

PASSWORD = "Kh0n-Kaen-learns-2569"


def make_user(email: str, *, verified: bool = True, password: str = PASSWORD, **extra) -> User:
    user = User.objects.create_user(email=email, password=password, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


@pytest.fixture
def resident(db) -> User:
    return make_user("resident@example.org")


@pytest.fixture
def city_admin(db) -> User:
    user = make_user("cityadmin@example.org")
    user.groups.add(city_admin_group())
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def superuser(db) -> User:
    user = User.objects.create_superuser(email="root@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
