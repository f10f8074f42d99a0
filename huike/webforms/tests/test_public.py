"""The public form: what a visitor's post becomes, and how abuse is turned away."""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.utils import timezone, translation

from huike.accounts.models import User
from huike.identity.models import MatchCandidate
from huike.parties.models import Observation, Party
from huike.parties.tests.factories import person
from huike.privacy import services as privacy_services
from huike.privacy.models import ConsentNotice, ConsentRecord
from huike.subjects import suppression
from huike.webforms import protection
from huike.webforms.models import Submission
from huike.webforms.tests.factories import latest_notice, make_form, post_data, token

pytestmark = pytest.mark.django_db

MakeUser = Callable[..., User]


def csp(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


# --- Sending the form ----------------------------------------------------------------------------


def test_a_submission_creates_a_customer_with_observations_from_the_form() -> None:
    form = make_form()

    response = Client().post(
        "/f/contact/",
        post_data(
            form,
            {"name": "张三", "email": "zhang@example.com", "consent_marketing": "on"},
            lang="zh-hans",
        ),
    )

    assert response.status_code == 200
    assert "谢谢，我们已收到。" in response.content.decode()
    party = Party.objects.get(name="张三")
    submission = Submission.objects.get()
    assert submission.party == party
    assert submission.status == Submission.Status.RECEIVED
    assert submission.language == "zh-hans"
    observations = Observation.objects.filter(party=party)
    assert {o.attribute.code for o in observations} == {"name", "email"}
    for observation in observations:
        assert observation.source == "form:contact"
        assert observation.source_ref == f"submission #{submission.pk}"
        assert observation.consent == "marketing"
        assert observation.collector_name == "Form contact"  # the form collected it


def test_a_ticked_box_records_consent_with_the_exact_text_shown_in_the_visitors_language() -> None:
    form = make_form(consents=("marketing", "profiling"))
    notice = latest_notice("marketing")

    Client().post(
        "/f/contact/",
        post_data(form, {"name": "张三", "consent_marketing": "on"}, lang="zh-hans"),
    )

    party = Party.objects.get(name="张三")
    record = ConsentRecord.objects.get(party=party)
    assert record.purpose.code == "marketing"
    assert record.channel == "web_form"
    assert record.notice == notice
    assert record.notice_language == "zh-hans"
    assert record.notice_text == notice.text_zh
    assert record.evidence == f"web form contact, submission #{Submission.objects.get().pk}"
    shown = Submission.objects.get().consents
    assert shown["marketing"]["text"] == notice.text_zh
    assert shown["marketing"]["checked"] is True
    assert shown["profiling"]["checked"] is False
    assert shown["profiling"]["text"] == latest_notice("profiling").text_zh


def test_the_text_kept_is_the_one_shown_even_if_a_new_version_came_out_meanwhile() -> None:
    # given a visitor who opened the page while version 1 of the notice was current
    form = make_form()
    shown = latest_notice("marketing")
    page = Client().get("/f/contact/?lang=en").content.decode()
    assert shown.text_en in page
    data = post_data(form, {"name": "张三", "consent_marketing": "on"})
    data[protection.TOKEN_FIELD] = token(form, notices={"marketing": shown.pk}).value

    # when version 2 is published before they press Send
    newer = privacy_services.save_notice(
        ConsentNotice(purpose=shown.purpose),
        actor=None,
        text_en="A newer wording.",
        published_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    Client().post("/f/contact/", data)

    # then what they agreed to is version 1, as shown
    record = ConsentRecord.objects.get()
    assert record.notice == shown and record.notice != newer
    assert record.notice_text == shown.text_en
    assert Submission.objects.get().consents["marketing"]["version"] == shown.version


def test_the_page_shows_each_consent_text_in_the_visitors_language() -> None:
    make_form()
    notice = latest_notice("marketing")

    chinese = Client().get("/f/contact/?lang=zh-hans").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/f/contact/").content.decode()

    assert notice.text_zh in chinese and '<html lang="zh-hans">' in chinese
    assert "联系我们" in chinese
    assert notice.text_en in english and '<html lang="en">' in english
    assert "Contact us" in english


def test_the_browsers_language_chooses_the_page_language() -> None:
    make_form()

    response = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/f/contact/")

    assert response["Content-Language"] == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Send") in response.content.decode()


def test_a_known_e_mail_unconfirmed_makes_a_new_customer_queued_with_the_known_one() -> None:
    """Nothing proves the visitor is 张三: the values and the consent do not go to his record
    (anyone knowing his e-mail could write there); a person reviews the pair."""
    zhang = person("张三", attributes={"email": "zhang@example.com"})
    form = make_form()

    Client().post(
        "/f/contact/",
        post_data(
            form,
            {
                "name": "张三",
                "email": "ZHANG@example.com",
                "mobile": "13900139000",
                "consent_marketing": "on",
            },
        ),
    )

    new = Submission.objects.get().party
    assert new is not None and new != zhang
    assert not Observation.objects.filter(party=zhang, attribute__code="mobile").exists()
    assert not ConsentRecord.objects.filter(party=zhang).exists()
    assert ConsentRecord.objects.filter(party=new).exists()
    pair = MatchCandidate.objects.get()
    assert {pair.party_a_id, pair.party_b_id} == {zhang.pk, new.pk}
    assert pair.status == "open"


def test_a_known_mobile_with_another_name_is_still_queued_for_review() -> None:
    wang = person("王五", attributes={"mobile": "13900139000"})
    form = make_form()

    Client().post("/f/contact/", post_data(form, {"name": "Mallory", "mobile": "13900139000"}))

    new = Submission.objects.get().party
    assert new is not None and new != wang
    pair = MatchCandidate.objects.get()
    assert {pair.party_a_id, pair.party_b_id} == {wang.pk, new.pk}


def test_a_customer_of_another_kind_is_not_matched() -> None:
    from huike.parties.tests.factories import organisation

    company = organisation("华为技术有限公司", attributes={"email": "info@example.com"})
    form = make_form()

    Client().post("/f/contact/", post_data(form, {"name": "张三", "email": "info@example.com"}))

    assert Submission.objects.get().party != company
    assert Party.objects.filter(kind="person", name="张三").exists()


def test_new_customers_belong_to_the_forms_owner_and_team(make_user: MakeUser) -> None:
    from huike.accounts.tests.factories import TeamFactory

    east = TeamFactory.create(name="East")
    mei = make_user("salesperson", username="mei", team=east)
    form = make_form(owner=mei)

    Client().post("/f/contact/", post_data(form, {"name": "张三"}))

    party = Party.objects.get(name="张三")
    assert party.owner == mei
    assert party.team == east


def test_wrong_values_come_back_with_errors_next_to_the_fields_and_keep_what_was_typed() -> None:
    form = make_form(required=("name", "email"))

    response = Client().post(
        "/f/contact/", post_data(form, {"name": "张三", "email": "", "mobile": "12"})
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="张三"' in page
    assert "invalid-feedback" in page
    assert not Submission.objects.exists()
    assert not Party.objects.exists()


def test_a_required_consent_must_be_ticked() -> None:
    form = make_form(required_consents=("marketing",))

    response = Client().post("/f/contact/", post_data(form, {"name": "张三"}))

    assert response.status_code == 400
    assert "Please agree to this to send the form." in response.content.decode()
    assert not Submission.objects.exists()


def test_a_redirect_address_replaces_the_thank_you_page() -> None:
    form = make_form(redirect_url="https://www.example.com/thanks")

    response = Client().post("/f/contact/", post_data(form, {"name": "张三"}))

    assert response.status_code == 302
    assert response["Location"] == "https://www.example.com/thanks"
    assert "https://www.example.com" in csp(response)["form-action"]


def test_an_inactive_form_is_not_found() -> None:
    form = make_form(is_active=False)

    assert Client().get("/f/contact/").status_code == 404
    assert Client().get("/f/contact/embed/").status_code == 404
    assert Client().post("/f/contact/", post_data(form, {"name": "张三"})).status_code == 404
    assert not Party.objects.exists()


def test_an_unknown_form_is_not_found() -> None:
    assert Client().get("/f/nothing-here/").status_code == 404


def test_a_contact_of_an_erased_person_gets_a_neutral_answer_and_nothing_is_kept() -> None:
    suppression.suppress([("email", "gone@example.com")], actor=None)
    form = make_form()

    response = Client().post(
        "/f/contact/", post_data(form, {"name": "王五", "email": "gone@example.com"})
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "We could not accept this form. Please contact us directly." in page
    assert "erased" not in page and "suppression" not in page
    assert not Submission.objects.exists()
    assert not Party.objects.exists()


# --- Abuse protection ----------------------------------------------------------------------------


def test_a_filled_honeypot_looks_accepted_but_nothing_is_kept() -> None:
    form = make_form()

    response = Client().post(
        "/f/contact/",
        post_data(form, {"name": "Bot", protection.HONEYPOT_FIELD: "http://spam.example"}),
    )

    assert response.status_code == 200
    assert "Thank you, we got it." in response.content.decode()
    assert not Submission.objects.exists()
    assert not Party.objects.exists()


def test_the_honeypot_is_hidden_by_a_class_not_an_inline_style() -> None:
    make_form()

    page = Client().get("/f/contact/").content.decode()

    assert f'name="{protection.HONEYPOT_FIELD}"' in page
    assert '<div class="d-none" aria-hidden="true">' in page
    assert "style=" not in page


def test_a_post_without_a_token_gets_the_form_back_to_send_again() -> None:
    # given a post from the plain HTML snippet on another site (no token)
    form = make_form()
    data = post_data(form, {"name": "张三", "email": "zhang@example.com"})
    del data[protection.TOKEN_FIELD]

    # when it arrives, the visitor sees the form again with the answers and a fresh token
    response = Client().post("/f/contact/", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please check your answers and send the form." in page
    assert 'value="zhang@example.com"' in page
    assert f'name="{protection.TOKEN_FIELD}" value="' in page
    assert not Submission.objects.exists()


def test_a_post_sent_faster_than_a_person_types_is_not_accepted() -> None:
    form = make_form()
    data = post_data(form, {"name": "张三"})
    data[protection.TOKEN_FIELD] = token(form, age=0).value

    response = Client().post("/f/contact/", data)

    assert response.status_code == 400
    assert "That was very fast." in response.content.decode()
    assert not Submission.objects.exists()


def test_a_page_older_than_a_day_must_be_sent_again() -> None:
    form = make_form()
    data = post_data(form, {"name": "张三"})
    data[protection.TOKEN_FIELD] = token(form, age=2 * 24 * 3600).value

    response = Client().post("/f/contact/", data)

    assert response.status_code == 400
    assert "The page was open for a long time." in response.content.decode()
    assert not Submission.objects.exists()


def test_a_replayed_post_is_not_accepted_twice() -> None:
    form = make_form()
    data = post_data(form, {"name": "张三"})

    first = Client().post("/f/contact/", data)
    second = Client().post("/f/contact/", data)

    assert first.status_code == 200
    assert second.status_code == 400
    assert "already sent from this page" in second.content.decode()
    assert Submission.objects.count() == 1


def test_a_token_of_another_form_or_a_forged_one_is_not_accepted() -> None:
    form = make_form()
    other = make_form("other")
    data = post_data(form, {"name": "张三"})

    data[protection.TOKEN_FIELD] = token(other).value
    assert Client().post("/f/contact/", data).status_code == 400
    data[protection.TOKEN_FIELD] = token(form).value[:-2] + "xx"
    assert Client().post("/f/contact/", data).status_code == 400
    assert not Submission.objects.exists()


def test_the_question_must_be_answered_right() -> None:
    form = make_form(challenge=True)
    issued = token(form)
    assert issued.challenge is not None
    data = post_data(form, {"name": "张三"})
    data[protection.TOKEN_FIELD] = issued.value

    data[protection.ANSWER_FIELD] = str(issued.challenge.answer + 1)
    wrong = Client().post("/f/contact/", data)
    data[protection.ANSWER_FIELD] = str(issued.challenge.answer)
    second_guess = Client().post("/f/contact/", data)  # the same page's token: one try only
    assert Submission.objects.count() == 0
    assert second_guess.status_code == 400

    assert wrong.status_code == 400
    assert "That is not the right answer." in wrong.content.decode()
    right = Client().post("/f/contact/", post_data(form, {"name": "张三"}))
    assert right.status_code == 200
    assert Submission.objects.count() == 1


def question_on(page: str, form: object, language: str) -> tuple[str, str]:
    """The question a page asks, and the one its token says it should ask in ``language``."""
    import re

    value = re.search(rf'name="{protection.TOKEN_FIELD}" value="([^"]+)"', page)
    assert value is not None
    with mock.patch.object(protection, "min_seconds", return_value=0):
        issued = protection.read(value.group(1), form)  # type: ignore[arg-type]
    assert issued.challenge is not None
    with translation.override(language):
        return page, issued.challenge.question


def test_the_question_is_asked_in_words_of_the_visitors_language() -> None:
    form = make_form(challenge=True)

    for language in ("en", "zh-hans"):
        page, expected = question_on(
            Client().get(f"/f/contact/?lang={language}").content.decode(), form, language
        )
        assert html.escape(expected) in page
    page = Client().get("/f/contact/?lang=en").content.decode()
    _page, expected = question_on(page, form, "en")
    assert "plus" in expected and "Answer in digits." in expected


def test_full_width_digits_answer_the_question() -> None:
    challenge = protection.Challenge(3, 4)

    assert challenge.accepts("７")
    assert challenge.accepts(" 7 ")
    assert not challenge.accepts("seven")
    assert not challenge.accepts("")


@override_settings(WEBFORM_MAX_BYTES=2000)
def test_a_post_larger_than_the_limit_is_refused_with_a_translated_page() -> None:
    form = make_form(fields=("name", "hobbies"))

    response = Client().post(
        "/f/contact/", post_data(form, {"name": "张三", "hobbies": "很" * 3000}, lang="zh-hans")
    )

    assert response.status_code == 413
    with translation.override("zh-hans"):
        assert translation.gettext("Too much text") in response.content.decode()
    assert not Submission.objects.exists()


def test_an_answer_longer_than_its_field_allows_is_refused() -> None:
    form = make_form()

    response = Client().post("/f/contact/", post_data(form, {"name": "张" * 600}))

    assert response.status_code == 400
    assert "at most 500 characters" in response.content.decode()
    assert not Submission.objects.exists()


@override_settings(RATE_LIMITS_ENABLED=True, WEBFORM_RATE="2/h")
def test_posts_beyond_the_rate_per_address_and_form_get_429() -> None:
    form = make_form()
    other = make_form("other")
    client = Client(REMOTE_ADDR="10.1.1.1")

    statuses = [
        client.post("/f/contact/", post_data(form, {"name": f"客户{n}"})).status_code
        for n in range(3)
    ]
    elsewhere = Client(REMOTE_ADDR="10.1.1.2").post(
        "/f/contact/", post_data(form, {"name": "别人"})
    )
    other_form = client.post("/f/other/", post_data(other, {"name": "另一个"}))

    assert statuses == [200, 200, 429]
    assert elsewhere.status_code == 200
    assert other_form.status_code == 200
    refused = client.post(
        "/f/contact/", post_data(form, {"name": "再来"}, lang="zh-hans"), HTTP_ACCEPT="text/html"
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    with translation.override("zh-hans"):
        assert translation.gettext("Too many requests") in refused.content.decode()
    assert Submission.objects.count() == 4


def test_the_address_is_kept_only_as_a_keyed_hash() -> None:
    form = make_form()

    Client(REMOTE_ADDR="203.0.113.9").post("/f/contact/", post_data(form, {"name": "张三"}))

    submission = Submission.objects.get()
    assert submission.ip_hash
    assert "203.0.113.9" not in submission.ip_hash
    assert len(submission.ip_hash) == 64


def test_control_characters_are_removed_from_answers() -> None:
    form = make_form()

    Client().post("/f/contact/", post_data(form, {"name": "张\x07三\u202e"}))

    assert Party.objects.get().name == "张三"


def test_a_null_character_is_an_error_not_a_crash() -> None:
    form = make_form()

    response = Client().post("/f/contact/", post_data(form, {"name": "张\x00三"}))

    assert response.status_code == 400
    assert not Party.objects.exists()


# --- Embedding -----------------------------------------------------------------------------------


def test_the_embedded_form_may_be_framed_by_the_allowed_origins_only() -> None:
    make_form(allowed_origins="https://www.example.com\nhttp://intranet.local:8080")

    response = Client().get("/f/contact/embed/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    ancestors = csp(response)["frame-ancestors"]
    assert ancestors == ["'self'", "https://www.example.com", "http://intranet.local:8080"]
    assert csp(response)["script-src"] == ["'self'"]


def test_without_allowed_origins_only_this_site_may_frame_the_form() -> None:
    make_form()

    embedded = Client().get("/f/contact/embed/")
    public = Client().get("/f/contact/")

    assert csp(embedded)["frame-ancestors"] == ["'self'"]
    assert public["X-Frame-Options"] == "DENY"


def test_the_embedded_form_posts_to_itself_and_thanks_in_its_frame() -> None:
    form = make_form(redirect_url="https://www.example.com/thanks")

    page = Client().get("/f/contact/embed/").content.decode()
    response = Client().post("/f/contact/embed/", post_data(form, {"name": "张三"}))

    assert 'action="/f/contact/embed/"' in page
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    body = response.content.decode()
    assert 'href="https://www.example.com/thanks" target="_top"' in body
    assert Submission.objects.count() == 1


def test_public_pages_load_nothing_from_other_sites_and_no_inline_script() -> None:
    make_form(challenge=True)

    for path in ("/f/contact/", "/f/contact/embed/"):
        page = Client().get(path).content.decode()
        assert "<script" not in page
        assert "http://" not in page and "https://" not in page


# --- Script in answers ---------------------------------------------------------------------------

XSS = "<script>alert('x')</script>"


def test_script_sent_through_the_form_is_shown_escaped_to_staff(admin_user: User) -> None:
    form = make_form(fields=("name", "email", "hobbies"))
    Client().post("/f/contact/", post_data(form, {"name": XSS, "hobbies": XSS}))
    party = Party.objects.get()
    submission = Submission.objects.get()
    staff = Client()
    staff.force_login(admin_user)

    pages = [
        staff.get(party.get_absolute_url()),
        staff.get("/forms/submissions/"),
        staff.get(submission.get_absolute_url()),
        staff.get(form.get_absolute_url()),
    ]

    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert XSS not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in pages[1].content.decode()
    assert "&lt;script&gt;" in pages[2].content.decode()
    assert submission.data["name"] == XSS  # kept as the plain text it was
