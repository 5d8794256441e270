"""The resident's pages, mounted at the root inside i18n_patterns (Thai unprefixed, English
under /en/), namespace "participants". The calendar feed needs no sign-in (its token is
the secret); every /me/ page does."""

from django.urls import path

from participants import views

app_name = "participants"

urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/profile/", views.profile_edit, name="profile-edit"),
    path("me/profile/complete/<int:course_id>/", views.profile_step, name="profile-step"),
    path("me/dependants/add/", views.dependant_add, name="dependant-add"),
    path("me/people/<int:pk>/", views.participant_edit, name="participant-edit"),
    path("me/people/<int:pk>/access-needs/", views.sensitive_data_edit, name="sensitive-data"),
    path("me/people/<int:pk>/consents/", views.consent_give, name="consent-give"),
    path("me/consents/", views.consents, name="consents"),
    path("me/consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("me/data/", views.my_data, name="my-data"),
    path("me/data.json", views.my_data_json, name="my-data-json"),
    path("me/erase/", views.account_erase, name="account-erase"),
    path("me/learning/", views.learning, name="learning"),
    path("me/notifications/", views.notifications, name="notifications"),
    path("me/notifications/read/", views.notifications_read, name="notifications-read"),
    path("me/calendar/new/", views.calendar_feed_create, name="calendar-feed-create"),
    path("me/calendar/off/", views.calendar_feed_revoke, name="calendar-feed-revoke"),
    path("me/enrolments/<int:pk>/", views.enrolment_detail, name="enrolment-detail"),
    path("me/enrolments/<int:pk>/cancel/", views.enrolment_cancel, name="enrolment-cancel"),
    path("me/enrolments/<int:pk>/leave/", views.waitlist_leave, name="waitlist-leave"),
    path("me/enrolments/<int:pk>/accept/", views.offer_accept, name="offer-accept"),
    path("me/enrolments/<int:pk>/decline/", views.offer_decline, name="offer-decline"),
    path("courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
    path("privacy/", views.privacy_notice, name="privacy-notice"),
    path("privacy/v<int:version>/", views.privacy_notice, name="privacy-notice-version"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar-feed"),
]
