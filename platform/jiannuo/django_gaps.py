"""Django's own sentences that its zh_Hans catalogue does not translate (yet): the console's
error title, the user-creation help text, … Marked here so that `make messages` puts them in
the project's catalogue, which Django reads before its own (LOCALE_PATHS).
tests/jiannuo/test_translations.py finds any the admin's templates add."""
from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_SENTENCES = (
    gettext_noop("Add link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
    gettext_noop("Model name"),
    # django-axes marks these but ships no Chinese.
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)

# Django's own Chinese for these reads as programmers' words (a slug called 字段 "field", a text
# 变量 "variable"): worded here as the console's users speak.
DJANGO_SENTENCES_REWORDED = (
    gettext_noop("Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
    ngettext_lazy("Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                  "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).", "limit_value"),
    ngettext_lazy("Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
                  "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).", "limit_value"),
)
