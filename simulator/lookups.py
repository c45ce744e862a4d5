"""Read-only endpoints: company info, system info, setup screens and the member look-up tables."""

from . import catalogue, listing
from .context import Response
from .errors import not_found

CODEBASE = "v2025_1/"
VERSION_CODE = "v2025.1"
VERSION_NUMBER = "v4.6.97521"


def company_info(tenant, host):
    """GET /login/companyinfo/{company} (no auth)."""
    return {
        "CompanyName": tenant.data["companyName"], "Codebase": CODEBASE, "VersionCode": VERSION_CODE,
        "VersionNumber": VERSION_NUMBER, "CompanyID": tenant.company, "IsCloud": False, "SiteUrl": host,
    }


def system_info(_ctx):
    """GET /system/info: the usual "does this key work" call."""
    return Response(200, {
        "version": f"{VERSION_CODE}.97521", "isCloud": False, "serverTimeZone": "Eastern Standard Time",
        "cloudRegion": "NA", "licenseBits": [],
    })


def _screens(ctx):
    return [{"id": sid, "name": name, "category": category, "moduleName": module,
             "_info": {"setupScreen_href": ctx.href(f"/system/setupScreens/{sid}")}}
            for sid, category, name, module in catalogue.SETUP_SCREENS]


def _table(kind, path, key):
    def records(ctx):
        if key is None:  # the published CorporateStructureLevel is {id, name}: no _info
            return [dict(entry) for entry in ctx.tenant.lookup(kind)]
        return [{**entry, "_info": {f"{key}_href": ctx.href(f"{path}/{entry['id']}")}} for entry in ctx.tenant.lookup(kind)]
    return records


# kind -> (records builder, condition fields)
TABLES = {
    "setupScreens": (_screens, ("id", "name", "category", "moduleName")),
    "structureLevels": (_table("structureLevels", "/system/myCompany/corporateStructureLevels", None), ("id", "name")),
    "locations": (_table("locations", "/system/locations", "location"), ("id", "name")),
    "departments": (_table("departments", "/system/departments", "department"), ("id", "identifier", "name")),
    "timeZones": (_table("timeZones", "/system/timeZoneSetups", "timeZoneSetup"), ("id", "name", "offset", "daylightSavingsFlag")),
    "boards": (_table("boards", "/service/boards", "board"), ("id", "name", "inactiveFlag")),
}


def list_handler(kind):
    """GET on a look-up list."""
    build, fields = TABLES[kind]

    def handler(ctx):
        chunk, headers = listing.page(ctx, build(ctx), fields)
        return Response(200, chunk, headers)
    return handler


def count_handler(kind):
    """GET on a look-up /count."""
    build, fields = TABLES[kind]
    return lambda ctx: Response(200, listing.count(ctx, build(ctx), fields))


def get_handler(kind):
    """GET on one look-up record."""
    build = TABLES[kind][0]

    def handler(ctx, record_id):
        record = next((r for r in build(ctx) if r["id"] == record_id), None)
        if record is None:
            raise not_found(f"Record with id {record_id} was not found")
        return Response(200, record)
    return handler


def corporate_structure(ctx):
    """GET /system/myCompany/corporateStructure: a list (the published Array<CorporateStructure>) of one record, with the
    fields the published model requires; level names are per tenant."""
    names = ctx.tenant.data["lookups"]["corporateStructure"]
    record = {
        "id": 1, **names, "levelCount": "Level%d" % sum(1 for n in range(1, 6) if names.get(f"level{n}Name")),
        "baseCurrency": {"id": 1, "symbol": "$", "currencyIdentifier": "USD", "name": "US Dollars",
                         "_info": {"currency_href": ctx.href("/finance/currencies/1")}},
        "fiscalYearStart": "January", "groupCaption": "Group", "locationCaption": "Location",
        "_info": {"lastUpdated": "2025-01-01T00:00:00Z"},
    }
    return Response(200, [record])
