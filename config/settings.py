"""Linli settings.

Three profiles, chosen by the environment alone (see README "Configuration"):

* nothing set: SQLite, in-memory channel layer, Celery tasks run eagerly. Works on a
  bare machine with only Python.
* ``DATABASE_URL`` and ``REDIS_URL``: PostgreSQL, Redis channel layer, cache and
  Celery broker, with a real worker and beat.
* ``LINLI_ENV=production`` on top of those: no debug, secret key and hosts from the
  environment, HTTPS-only cookies and redirects. Passes ``check --deploy``.
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

# Lets runtime code subscript Django generics (ModelAdmin[Model], QuerySet[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


LINLI_ENV = os.environ.get("LINLI_ENV", "development")
PRODUCTION = LINLI_ENV == "production"

if PRODUCTION:
    # No fallback: a production process without its own key must not start.
    SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
    DEBUG = False
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = os.environ.get(
        "DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789"
    )
    DEBUG = env_bool("DJANGO_DEBUG", True)
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The SQLite development profile cannot create a unique constraint whose NULLs count as equal
# (fee rates for the whole estate); PostgreSQL, where the data lives, enforces it.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# Our apps are listed lowest layer first; seed_demo and ledger checks rely on it.
LINLI_APPS = ["core", "wallet", "community", "property_mgmt", "merchants"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    *LINLI_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "community.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "community.middleware.OperatorMfaRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # No persistent connections by default: under ASGI each request runs in its own thread,
    # so a kept connection is never reused and they pile up until PostgreSQL refuses more
    # ("too many clients"; found by the fault test, docs/chaos.md).
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0"))
        )
    }
    DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("DB_POOL") and not DATABASES["default"].get("CONN_MAX_AGE"):
        # The ASGI server turns this on (config/asgi.py): each process keeps a pool, and a
        # request borrows a connection instead of opening one (a round trip, a backend
        # start and about a millisecond of CPU each). With health checks on, the pool
        # checks a connection before lending it, so one broken by a database restart is
        # replaced, not handed out.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "16")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # A file, not memory, so that a server process started by a test sees it; one
            # per test run, so that runs side by side do not share it.
            "TEST": {"NAME": str(BASE_DIR / f"test-db-{os.getpid()}.sqlite3")},
        }
    }
# Money-moving services open their own durable transactions; a request-wide one would
# hide their boundaries and hold locks for the whole view.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A Celery worker process is single-threaded: it keeps its connection between tasks
# (config/celery.py), for this many seconds.
WORKER_DB_CONN_MAX_AGE = int(os.environ.get("DB_WORKER_CONN_MAX_AGE", "300"))

# --- Redis: cache, channel layer, Celery ---------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "linli"),
        }
    }
    CHANNEL_LAYER_CAPACITY = int(os.environ.get("CHANNEL_LAYER_CAPACITY", "20000"))
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A read timeout longer than channels_redis's 5-second blocking pop: with
                # redis-py 8's default of 5 s an idle listener's read timed out just as
                # Redis answered, and every quiet websocket was closed within seconds.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "linli"),
                # Every websocket of one server process shares one Redis queue, and the
                # layer drops (with an INFO line) whatever a send finds beyond the capacity:
                # with channels_redis's default of 100, a burst of live events to one
                # process's sockets (a notice delivery's batch commits together, so does a
                # billing run) lost some. Messages still expire after 60 s unread.
                "capacity": CHANNEL_LAYER_CAPACITY,
            },
        }
    }
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    # No result store unless one is named: see CELERY_TASK_IGNORE_RESULT below.
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

# Nothing reads a task's return value: storing one would cost a Redis write per task and a
# key kept for a day (a payment's notice delivery alone is a task). Without a result store,
# queuing a task from a request's thread is also cheaper (0.8 against 2.3 ms of CPU: Celery
# builds a result store client in every new thread, and ASGI runs each request in one).
CELERY_TASK_IGNORE_RESULT = True
# Celery otherwise builds its result store object once per thread, even with none configured
# (a scan of the installed packages' entry points each time), and ASGI runs every request in
# a new thread: about 0.7 ms of CPU per request that queued a task. The disabled store and
# Redis's (a thread-safe connection pool) can be shared.
CELERY_RESULT_BACKEND_THREAD_SAFE = True
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
# A task is acknowledged only after it ran, so a worker killed mid-task leaves it queued;
# every task is written to be idempotent for this reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "wallet-expire-holds": {"task": "wallet.expire_holds", "schedule": 60.0},
    "wallet-resolve-pending": {"task": "wallet.resolve_pending", "schedule": 60.0},
    "wallet-sweep-notices": {"task": "wallet.sweep_notices", "schedule": 30.0},
    "wallet-ledger-check": {
        "task": "wallet.ledger_check",
        "schedule": crontab(hour=3, minute=30),
    },
    # Help rewards and red packets settle before the wallet's own hold expiry would.
    "community-help-sweep": {"task": "community.help_sweep", "schedule": 60.0},
    "community-red-packets-expire": {"task": "community.red_packets_expire", "schedule": 60.0},
    # Property fees, in the order a day needs them: bills on the 1st, then late fees for
    # yesterday's overdue bills, reminders, and auto-pay of what falls due today.
    "property-monthly-billing": {
        "task": "property_mgmt.monthly_billing",
        "schedule": crontab(day_of_month=1, hour=1, minute=0),
    },
    "property-late-fees": {
        "task": "property_mgmt.late_fees",
        "schedule": crontab(hour=2, minute=0),
    },
    "property-bill-reminders": {
        "task": "property_mgmt.bill_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "property-autopay": {"task": "property_mgmt.autopay", "schedule": crontab(hour=10, minute=0)},
    # Settlement every hour (yesterday's days once, then due payout retries), the bank's
    # statement matched once it is published, shops' webhooks retried every minute.
    "wallet-settle-due": {"task": "wallet.settle_due", "schedule": crontab(minute=10)},
    "wallet-reconcile": {
        "task": "wallet.reconcile_previous_day",
        "schedule": crontab(hour=6, minute=0),
    },
    "merchants-webhooks-due": {"task": "merchants.webhooks_due", "schedule": 60.0},
}

# --- Authentication ------------------------------------------------------------------------
AUTH_USER_MODEL = "community.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Django's defaults for passwords, plus the wallet's cheaper, peppered hasher for 6-digit
# PINs (see wallet/hashers.py); the first entry hashes new passwords.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "wallet.hashers.PinHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "community.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "community.forms.SignupExtraForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Failed logins: 10 a minute per address, 5 per five minutes per account (allauth keys
# the second limit on the login entered).
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/300s/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Linli"

SMS_BACKEND = os.environ.get("SMS_BACKEND", "community.sms.ConsoleSmsBackend")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Linli <noreply@linli.local>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "linli_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an anonymous API call gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.LinliAutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"token_login": "10/min"},
    # Throttles key on REMOTE_ADDR: behind the TLS proxy, uvicorn's --proxy-headers has
    # already replaced it with the client's address from a proxy it trusts. Left at None,
    # DRF would key on the whole X-Forwarded-For header, which the client writes, so a
    # new made-up address per request would never be throttled. (allauth reads
    # REMOTE_ADDR too, with its ALLAUTH_TRUSTED_PROXY_COUNT left at 0.)
    "NUM_PROXIES": 0,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]
SPECTACULAR_SETTINGS = {
    "TITLE": "Linli API",
    "DESCRIPTION": (
        "Community wallet, circles, property fees and local shops. Every error has the shape "
        '{"error": {"code": ..., "message": ..., "fields": {...}}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "wallet.api.base.CURRENCY_CHOICES",
        "MembershipStatusEnum": "community.models.Membership.Status",
        "CampaignKindEnum": "merchants.models.Campaign.Kind",
        "PaymentStatusEnum": "wallet.models.Payment.Status",
    },
}

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Its only INFO line says that live events were dropped over capacity: worth seeing.
        "channels_redis": {"level": "INFO"},
    },
}
if not REDIS_URL:
    # Eager tasks on the in-memory broker: no worker logs to read, and kombu warns that the
    # memory:// URL has no host.
    LOGGING["loggers"].update(  # type: ignore[attr-defined]
        {"kombu.connection": {"level": "ERROR"}, "celery.app.trace": {"level": "WARNING"}}
    )

# Development serves static files straight from the apps; production serves the hashed,
# compressed copies that collectstatic wrote.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Wallet ---------------------------------------------------------------------------------
# The bank behind top-ups and withdrawals; the sandbox until a real bank's gateway is added.
# Identity numbers: Fernet keys (newest first) and the HMAC key of their search digest.
# Production must set both (a process without them does not start); elsewhere they are
# derived from the secret key.
if PRODUCTION:
    IDENTITY_ENCRYPTION_KEYS = env_list("IDENTITY_ENCRYPTION_KEYS") or [
        os.environ["IDENTITY_ENCRYPTION_KEYS"]
    ]
    IDENTITY_DIGEST_KEY = os.environ["IDENTITY_DIGEST_KEY"]
else:
    IDENTITY_ENCRYPTION_KEYS = env_list("IDENTITY_ENCRYPTION_KEYS") or [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"identity:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
    IDENTITY_DIGEST_KEY = os.environ.get("IDENTITY_DIGEST_KEY", f"identity-digest:{SECRET_KEY}")
# Called inside the transaction that binds a card: the bank confirmed the holder's name.
WALLET_CARD_BOUND_HANDLER = "community.services.verification.bank_card_confirmed"
# Called once a payment to an account no user owns (a shop's, a company's) has committed,
# from the wallet's outbox: each layer acts on the accounts it owns and ignores the rest
# (a shop's till and webhooks; the household members of paid bills).
WALLET_PAYEE_PAID_HANDLERS = [
    "merchants.services.checkout.payment_to_shop",
    "property_mgmt.services.paying.payment_to_company",
]
# Direct payments post through one PostgreSQL function call (wallet_pay) instead of a dozen
# statements; off, they take the statement-by-statement path that SQLite always uses.
WALLET_PAY_IN_DATABASE = env_bool("WALLET_PAY_IN_DATABASE", True)
# Called after a settlement's payout reached the bank card, or was declined: each layer
# tells the owners of its own accounts (shops, property companies) and ignores the rest.
WALLET_SETTLEMENT_PAID_HANDLER = [
    "merchants.services.settlement.settlement_paid",
    "property_mgmt.services.settlement.settlement_paid",
]
WALLET_PAYOUT_FAILED_HANDLER = [
    "merchants.services.settlement.payout_failed",
    "property_mgmt.services.settlement.payout_failed",
]
# Shops' webhook URLs must resolve to public addresses (no requests into our own network)
# unless this is on: development and tests post to a receiver on loopback.
MERCHANT_WEBHOOKS_ALLOW_PRIVATE = env_bool("MERCHANT_WEBHOOKS_ALLOW_PRIVATE", DEBUG)
COMMUNITY_IDENTITY_PROVIDER = os.environ.get(
    "COMMUNITY_IDENTITY_PROVIDER", "community.verification.sandbox.SandboxIdentityProvider"
)

WALLET_GATEWAY = os.environ.get("WALLET_GATEWAY", "wallet.gateways.sandbox.SandboxBank")
# Shared with the bank to sign its callbacks. Required in production.
WALLET_BANK_WEBHOOK_SECRET = os.environ.get(
    "WALLET_BANK_WEBHOOK_SECRET", "" if PRODUCTION else "sandbox-bank-webhook-secret"
)
if PRODUCTION and not WALLET_BANK_WEBHOOK_SECRET:
    raise RuntimeError("WALLET_BANK_WEBHOOK_SECRET must be set in production")
