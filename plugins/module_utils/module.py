# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every module: the connection options (one argument spec, each with its CW_* environment fallback),
the client, and one way to report a result or a failure."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, ConnectWiseClient, api_usage)
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import item_secrets

# These environment variable names are a contract: the AWX credential type injects exactly them.
CONNECTION_ARGSPEC = {
    # Not "required" for Ansible: the client names a missing one together with its CW_* variable, which is the fix.
    "site": {"type": "str", "fallback": (env_fallback, ["CW_SITE"])},
    "company_id": {"type": "str", "fallback": (env_fallback, ["CW_COMPANY_ID"])},
    "public_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["CW_PUBLIC_KEY"])},
    "private_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["CW_PRIVATE_KEY"])},
    "client_id": {"type": "str", "fallback": (env_fallback, ["CW_CLIENT_ID"])},
    "api_version": {"type": "str", "default": "2025.8", "fallback": (env_fallback, ["CW_API_VERSION"])},
    "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["CW_VALIDATE_CERTS"])},
    # raw, not float/int: the client checks them and names the option, its CW_* variable and the bounds, where
    # Ansible's conversion error would name neither the variable nor the fix.
    "timeout": {"type": "raw", "default": 30, "fallback": (env_fallback, ["CW_TIMEOUT"])},
    "retries": {"type": "raw", "default": 5, "fallback": (env_fallback, ["CW_RETRIES"])},
    "deadline": {"type": "raw", "default": 300, "fallback": (env_fallback, ["CW_DEADLINE"])},
}


def connection_argument_spec(**resource_options):
    """The shared connection options plus a module's own."""
    spec = {name: dict(option) for name, option in CONNECTION_ARGSPEC.items()}
    spec.update(resource_options)
    return spec


def client_from_params(params):
    return ConnectWiseClient(
        params["site"], params["company_id"], params["public_key"], params["private_key"], params["client_id"],
        api_version=params["api_version"], validate_certs=params["validate_certs"], timeout=params["timeout"],
        retries=params["retries"], deadline=params["deadline"])


class ConnectWiseModule(AnsibleModule):
    """An AnsibleModule with a ConnectWise client and one failure path for ConnectWise errors."""

    def __init__(self, argument_spec, **kwargs):
        super().__init__(argument_spec=connection_argument_spec(**argument_spec), **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
        try:
            self.client = client_from_params(self.params)
        except ConfigurationError as exc:
            self.fail_json(msg=str(exc), field=exc.field)

    def api_summary(self):
        """What the run cost: requests sent and retries taken (429/5xx/timeouts)."""
        return api_usage(self.client)

    def fail_cw(self, error, **result):
        """Fail with ConnectWise's answer and the hint; never with a credential."""
        details = error.as_dict() if isinstance(error, ConnectWiseError) else {}
        if isinstance(error, ConfigurationError):
            result["field"] = error.field
        self.fail_json(msg=str(error), error=details, api=self.api_summary(), **result)


def run_resource(module, converge, allow_pending=False):
    """Run one resource's converge() and report it; bad input and ConnectWise errors fail with a clear message."""
    try:
        outcome = converge()
    except ConnectWiseError as exc:
        module.fail_cw(exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc), api=module.api_summary())
    finish(module, outcome, allow_pending=allow_pending)


STEPS = "them in the ConnectWise UI (see manual_steps)"


def manual_steps_remain(count, subject, steps=STEPS, switch="allow_pending: true"):
    """The one message of a run that ends outside check mode with manual steps left, in one line (the steps themselves
    are in the result and the checklist): what remains, where it is written down, how to go on. Every module and the
    roles fail with it."""
    return ("%d manual step(s) remain %s: the ConnectWise API cannot make them. Work through %s, then run again to "
            "verify; or set %s to collect them without failing" % (count, subject, steps, switch))


def finish(module, outcome, allow_pending=False):
    """exit_json / fail_json for an Outcome: outside check mode, remaining manual steps fail the task."""
    result = outcome.result(module._diff, module.check_mode)
    result["api"] = module.api_summary()
    for warning in outcome.warnings:
        module.warn(warning)
    fail_if_pending(module, result, allow_pending, "for " + outcome.resource)
    module.exit_json(**result)


def fail_if_pending(module, result, allow_pending, subject, steps=STEPS, switch="allow_pending: true"):
    """The one failure of a run that ends outside check mode with manual steps left (unless they are allowed). The
    result stays whole, marked ``steps_remain`` so that a role can end on the message alone."""
    if result["pending"] and not module.check_mode and not allow_pending:
        module.fail_json(msg=manual_steps_remain(len(result["manual_steps"]), subject, steps, switch), steps_remain=True,
                         **result)


def check_fleet(module, tenants, doing, extra_items=()):
    """What a module over many tenants checks before its first request: every tenant's keys masked, before anything can
    show them; each tenant named, once; a usable concurrency and retention. ``doing``: what the tenants undergo at once.
    Returns the tenants' names, in order."""
    module.no_log_values.update(item_secrets(list(extra_items)))
    for tenant in tenants:
        module.no_log_values.update(str(tenant[name]) for name in ("public_key", "private_key") if tenant.get(name))
        items = tenant.get("integrations")
        module.no_log_values.update(item_secrets([i for i in items if isinstance(i, dict)] if isinstance(items, list) else []))
    names = [tenant.get("name") for tenant in tenants]
    if not all(isinstance(name, str) and name for name in names):
        module.fail_json(msg="tenants: each tenant needs its name (the inventory host name); missing in tenants[%d]"
                         % [isinstance(name, str) and bool(name) for name in names].index(False))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        module.fail_json(msg="tenants: each name once; repeated: %s" % ", ".join(repeated))
    if module.params["concurrency"] < 1:
        module.fail_json(msg="concurrency: at least 1 (tenants %s at once)" % doing)
    if module.params["retention_days"] < 1:
        module.fail_json(msg="retention_days: at least 1 (days a snapshot is kept; keep six months of evidence or more)")
    return names
