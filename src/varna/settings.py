"""Värna's settings: one module, driven by environment variables (see the README's table).

VARNA_DEBUG unset means production mode, which refuses to start without VARNA_SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("VARNA_DATA_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("VARNA_DEBUG")
SECRET_KEY = os.environ.get("VARNA_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "VARNA_SECRET_KEY must be set in production (or set VARNA_DEBUG=1 for development)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

# Demo accounts can log in only while this is on; see varna.accounts.backends.
VARNA_DEMO = env_bool("VARNA_DEMO")
# Serving over HTTPS (the default outside debug): secure cookies, HSTS and redirects.
VARNA_HTTPS = env_bool("VARNA_HTTPS", default=not DEBUG)

ALLOWED_HOSTS = env_list("VARNA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("VARNA_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "varna.core",
    "varna.orgs",
    "varna.audit",
    "varna.accounts",
    "varna.handbook",
    "varna.reporting",
    "varna.cases",
    "varna.training",
    "varna.risk",
    "varna.yearplan",
    "varna.audits",
    "varna.stats",
    "varna.records",
    "varna.home",
    "varna.apps.VarnaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "allauth.usersessions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "varna.core.middleware.SwedishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "varna.accounts.middleware.SignInPolicyMiddleware",
    "varna.core.middleware.NulBytesMiddleware",
]

ROOT_URLCONF = "varna.urls"
WSGI_APPLICATION = "varna.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "varna.core.context_processors.shell",
            ],
        },
    }
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DATA_DIR / 'varna.sqlite3'}",
        conn_max_age=int(os.environ.get("VARNA_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Querysets read with iterator() (the choices of every select) are a few rows: one plain
    # query, not a server-side cursor declared, fetched and closed each time.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "varna.accounts.backends.VarnaBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home:start"
LOGOUT_REDIRECT_URL = "account_login"

# Sessions end after this many idle minutes; every request renews them and the page warns
# two minutes before the end (static/varna/js/session.js).
SESSION_IDLE_MINUTES = int(os.environ.get("VARNA_SESSION_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# However active, a session ends this many hours after signing in (varna.accounts.middleware).
VARNA_SESSION_MAX_HOURS = float(os.environ.get("VARNA_SESSION_MAX_HOURS", "10"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = VARNA_HTTPS
CSRF_COOKIE_SECURE = VARNA_HTTPS
SECURE_SSL_REDIRECT = VARNA_HTTPS and env_bool("VARNA_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31_536_000 if VARNA_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = VARNA_HTTPS
SECURE_HSTS_PRELOAD = VARNA_HTTPS
if env_bool("VARNA_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Throttling per address must see the client, not the proxy every request comes through.
    AXES_IPWARE_PROXY_COUNT = int(os.environ.get("VARNA_PROXY_COUNT", "1"))
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: everything comes from our own static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Failed logins are throttled per account and, separately, per client address.
AXES_FAILURE_LIMIT = int(os.environ.get("VARNA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("VARNA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# allauth's login form names the field "login"; its credentials call it "username".
AXES_USERNAME_CALLABLE = "varna.accounts.backends.attempted_username"
AXES_LOCKOUT_CALLABLE = "varna.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Sign-in (django-allauth): the municipality's single sign-on first, local passwords second.
# Nobody signs up: people come from the HR import, and an identity matches one of them or none
# (varna.accounts.identity). Settings are read from the environment; see the README's table.
ACCOUNT_ADAPTER = "varna.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "varna.accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_FORMS = {"login": "varna.accounts.forms.LoginForm"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked for an unknown address sends nothing (the page says the same either way).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_INPUT_RENDER_VALUE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if VARNA_HTTPS else "http"
# Resetting a password and using a link are throttled per address and per account.
ACCOUNT_RATE_LIMITS = {
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/h/ip",
    "reauthenticate": "10/m/user",
    "login": "30/m/ip",
    # Failed passwords are throttled by django-axes (per account and per address, with the
    # cool-off page), not a second time here.
    "login_failed": None,
    "mfa_authenticate": "10/m/ip,10/m/key",
    "mfa_reauthenticate": "10/m/user",
    "mfa_trust": "10/m/user",
    "invitation": "20/h/ip",
}
# A reset link holds for this many hours; an invitation (varna.accounts.services) for days.
PASSWORD_RESET_TIMEOUT = int(float(os.environ.get("VARNA_PASSWORD_RESET_HOURS", "2")) * 3600)
VARNA_INVITATION_DAYS = int(os.environ.get("VARNA_INVITATION_DAYS", "7"))
# Off where every employee signs in through the municipality's identity provider.
VARNA_PASSWORD_LOGIN = env_bool("VARNA_PASSWORD_LOGIN", default=True)
# Who to contact when an identity matches nobody in Värna (shown on the refusal page).
VARNA_SIGNIN_CONTACT = os.environ.get("VARNA_SIGNIN_CONTACT", "")
# How to reach the municipality's data protection officer (shown on the privacy notice).
VARNA_DPO_CONTACT = os.environ.get("VARNA_DPO_CONTACT", "")
# Roles that read many people's data must use a second factor with a local password.
VARNA_MFA_ROLES = env_list("VARNA_MFA_ROLES", "admin,hr,security,investigator,analyst,auditor")
# How an identity from single sign-on is matched to a person imported from HR.
VARNA_SSO_MATCH_ORDER = env_list("VARNA_SSO_MATCH_ORDER", "employee_number,email")
VARNA_SSO_EMPLOYEE_ID_CLAIM = os.environ.get("VARNA_SSO_EMPLOYEE_ID_CLAIM", "employee_id")
VARNA_SSO_EMAIL_CLAIM = os.environ.get("VARNA_SSO_EMAIL_CLAIM", "email")
# Behind SSO the provider's MFA counts: require it (from amr/acr) for the roles above?
VARNA_SSO_REQUIRE_MFA = env_bool("VARNA_SSO_REQUIRE_MFA")
VARNA_SSO_MFA_AMR = env_list("VARNA_SSO_MFA_AMR", "mfa,otp,hwk,swk,fido,sms,face,fpt")
VARNA_SSO_MFA_ACR = env_list("VARNA_SSO_MFA_ACR")
# The claim or SAML attribute with the person's groups, for roles mapped in the admin.
VARNA_SSO_GROUPS_CLAIM = os.environ.get("VARNA_SSO_GROUPS_CLAIM", "")

VARNA_OIDC_ISSUER = os.environ.get("VARNA_OIDC_ISSUER", "")
VARNA_SAML_METADATA_URL = os.environ.get("VARNA_SAML_METADATA_URL", "")
VARNA_SAML_METADATA_FILE = os.environ.get("VARNA_SAML_METADATA_FILE", "")
SOCIALACCOUNT_PROVIDERS: dict = {
    "openid_connect": {
        # Adds a nonce and checks every ID token's signature (varna.accounts.oidc).
        "provider_class": "varna.accounts.oidc.MunicipalityOIDCProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [],
    },
    "saml": {"provider_class": "varna.accounts.saml.MunicipalitySAMLProvider", "APPS": []},
}
if VARNA_OIDC_ISSUER:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": "kommun",
            "name": os.environ.get("VARNA_OIDC_NAME", "kommunens konto"),
            "client_id": os.environ.get("VARNA_OIDC_CLIENT_ID", ""),
            "secret": os.environ.get("VARNA_OIDC_CLIENT_SECRET", ""),
            "settings": {
                "server_url": VARNA_OIDC_ISSUER,
                "scope": env_list("VARNA_OIDC_SCOPES", "openid,profile,email"),
                # The ID token holds amr/acr and the claims; userinfo adds what it lacks.
                "fetch_userinfo": env_bool("VARNA_OIDC_FETCH_USERINFO", default=True),
            },
        }
    )
# SAML attributes that carry the keys to match on (ADFS's claim types by default).
VARNA_SAML_EMAIL_ATTRIBUTE = os.environ.get(
    "VARNA_SAML_EMAIL_ATTRIBUTE",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
)
VARNA_SAML_EMPLOYEE_ID_ATTRIBUTE = os.environ.get("VARNA_SAML_EMPLOYEE_ID_ATTRIBUTE", "")
VARNA_SAML_GROUPS_ATTRIBUTE = os.environ.get("VARNA_SAML_GROUPS_ATTRIBUTE", "")
VARNA_SAML_AMR_ATTRIBUTE = os.environ.get(
    "VARNA_SAML_AMR_ATTRIBUTE", "http://schemas.microsoft.com/claims/authnmethodsreferences"
)
if VARNA_SAML_METADATA_URL or VARNA_SAML_METADATA_FILE:
    _idp: dict[str, str] = {"entity_id": os.environ.get("VARNA_SAML_IDP_ENTITY_ID", "")}
    if VARNA_SAML_METADATA_URL:
        _idp["metadata_url"] = VARNA_SAML_METADATA_URL
    else:
        _idp["metadata"] = Path(VARNA_SAML_METADATA_FILE).read_text()
    SOCIALACCOUNT_PROVIDERS["saml"]["APPS"].append(
        {
            "provider_id": _idp["entity_id"],
            "client_id": "kommun",
            "name": os.environ.get("VARNA_SAML_NAME", "kommunens konto"),
            "settings": {
                "attribute_mapping": {
                    "uid": "name_id",
                    "email": VARNA_SAML_EMAIL_ATTRIBUTE,
                },
                "idp": _idp,
                "sp": {"entity_id": os.environ.get("VARNA_SAML_SP_ENTITY_ID", "")},
                "reject_idp_initiated_sso": True,
                "advanced": {
                    # Signed assertions only; nothing unsigned is accepted.
                    "want_assertion_signed": True,
                    "want_message_signed": False,
                    "reject_deprecated_algorithm": True,
                    "strict": True,
                    "allow_repeat_attribute_name": True,
                    "x509cert": os.environ.get("VARNA_SAML_SP_CERT", ""),
                    "private_key": os.environ.get("VARNA_SAML_SP_KEY", ""),
                    "authn_request_signed": bool(os.environ.get("VARNA_SAML_SP_KEY")),
                },
            },
        }
    )
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
# A provider that is down or slow gives a message within this many seconds.
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(os.environ.get("VARNA_SSO_TIMEOUT_SECONDS", "5"))
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# A passkey is a second factor after the password, not a way in on its own.
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Värna"
MFA_TRUST_ENABLED = False
# Passkeys need HTTPS, except on the developer's own machine.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not VARNA_HTTPS
# A person's sessions are recorded when they sign in; tracking every request would add a write
# to each page.
USERSESSIONS_TRACK_ACTIVITY = False

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("VARNA_STATIC_ROOT", Path.cwd() / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Attachments to reports and cases: never under the static root nor served by URL; they
    # are downloaded only through the access layer (reporting.views.attachment_download).
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("VARNA_ATTACHMENT_DIR", str(DATA_DIR / "attachments")),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
# S3-compatible object storage (MinIO, Ceph, a cloud's) for attachments, through django-storages.
if os.environ.get("VARNA_ATTACHMENT_BUCKET"):
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["VARNA_ATTACHMENT_BUCKET"],
            "endpoint_url": os.environ.get("VARNA_ATTACHMENT_ENDPOINT") or None,
            "region_name": os.environ.get("VARNA_ATTACHMENT_REGION") or None,
            "access_key": os.environ.get("VARNA_ATTACHMENT_ACCESS_KEY") or None,
            "secret_key": os.environ.get("VARNA_ATTACHMENT_SECRET_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "location": "varna",
        },
    }
# Limits on attachments: per file, and all the files of one report and its case together.
VARNA_ATTACHMENT_MAX_BYTES = int(os.environ.get("VARNA_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))
VARNA_ATTACHMENT_CASE_MAX_BYTES = int(
    os.environ.get("VARNA_ATTACHMENT_CASE_MAX_BYTES", 200 * 1024 * 1024)
)
# An image larger than this many pixels is refused rather than decoded (a decompression bomb).
VARNA_ATTACHMENT_MAX_PIXELS = int(os.environ.get("VARNA_ATTACHMENT_MAX_PIXELS", 50_000_000))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

_mail_backend = os.environ.get(
    "VARNA_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or VARNA_DEMO
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _mail_backend}}
if _mail_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("VARNA_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("VARNA_EMAIL_PORT", "25")),
        "username": os.environ.get("VARNA_EMAIL_USER", ""),
        "password": os.environ.get("VARNA_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("VARNA_EMAIL_TLS"),
        "timeout": 30,
    }
DEFAULT_FROM_EMAIL = os.environ.get("VARNA_EMAIL_FROM", "varna@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VARNA_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "saml2": {"level": "WARNING"}},
}

# What `manage.py load_demo` runs, in order; each capability appends its own demo data.
VARNA_DEMO_STEPS = [
    "varna.orgs.demo.load",
    "varna.handbook.demo.load",
    "varna.training.demo.load",
    "varna.reporting.demo.load",
    "varna.cases.demo.load",
    "varna.risk.demo.load",
    "varna.yearplan.demo.load",
    "varna.audits.demo.load",
    "varna.records.demo.load",
    "varna.stats.demo.load",
]
# Files served at the site root (the favicon browsers ask for on every page).
WHITENOISE_ROOT = PACKAGE_DIR / "public"

# The address people use to reach Värna, for links in e-mail (which never carry event details).
VARNA_BASE_URL = os.environ.get("VARNA_BASE_URL", "http://127.0.0.1:8000")
# Working days within which a manager contacts the employee after a report.
VARNA_ACKNOWLEDGE_WORKING_DAYS = int(os.environ.get("VARNA_ACKNOWLEDGE_WORKING_DAYS", "1"))
# Working days after a reminder before it goes to the next manager up the tree.
VARNA_ESCALATION_WORKING_DAYS = int(os.environ.get("VARNA_ESCALATION_WORKING_DAYS", "1"))
# Days after support is given until the follow-up contact (one to two weeks).
VARNA_SUPPORT_FOLLOW_UP_DAYS = int(os.environ.get("VARNA_SUPPORT_FOLLOW_UP_DAYS", "10"))
# The local hour when the daily digest of reminders is e-mailed.
VARNA_DIGEST_HOUR = int(os.environ.get("VARNA_DIGEST_HOUR", "7"))
# The follow-up's disclosure control for readers who may not open the cases
# (varna.core.perturbation): a count from 1 to VARNA_SMALL_NUMBER_K - 1 is never shown as
# itself (it is shown as 0 or as K or more), and every figure moves by at most
# VARNA_MAX_ADJUSTMENT.
VARNA_SMALL_NUMBER_K = int(os.environ.get("VARNA_SMALL_NUMBER_K", "3"))
VARNA_MAX_ADJUSTMENT = int(os.environ.get("VARNA_MAX_ADJUSTMENT", "4"))
# Months from one risk assessment of a unit to the next, unless the manager sets another date.
VARNA_RISK_ASSESSMENT_MONTHS = int(os.environ.get("VARNA_RISK_ASSESSMENT_MONTHS", "12"))
# The follow-up flags a unit whose rate of events is above the whole's and where less than
# this share (per cent) of the training required of its staff is valid.
VARNA_TRAINING_COVERAGE_TARGET = int(os.environ.get("VARNA_TRAINING_COVERAGE_TARGET", "80"))
# Retention periods in months (varna.records.retention) until a municipality sets its own from
# its information management plan on the retention page: a starting point, not a plan. Cases
# 10 years (work-injury and insurance claims can come years later); found not unlawful 2 years
# (lawful influence reported by mistake); the actor part 3 years (a third party's data, kept
# while a repeat is likely); attachments 5 years (the limitation period for most threats);
# notifications 1 year; read log 3 years (the data protection officer's audits); unsent drafts
# 1 month; security log 2 years. Cases, actor part and attachments count from the closing.
VARNA_RETENTION_DEFAULTS = {
    "cases": 120,
    "not_unlawful": 24,
    "actor": 36,
    "attachments": 60,
    "notifications": 12,
    "read_log": 36,
    "drafts": 1,
    "security_log": 24,
}
# The local hour of the nightly destruction run (the task worker; see records/tasks.py).
VARNA_DESTRUCTION_HOUR = int(os.environ.get("VARNA_DESTRUCTION_HOUR", "2"))
# The case inbox's indexes carry INCLUDE columns for PostgreSQL's index-only scans; SQLite
# builds the same indexes without them, which is all this check warns about.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
