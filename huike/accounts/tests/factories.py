from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from huike.accounts.models import Team, User

PASSWORD = "correct horse battery staple 42"


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def sync_staff(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        obj.is_staff = bool(obj.role and obj.role.is_admin)
        if create:
            obj.save()
