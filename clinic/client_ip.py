"""The client address django-axes records and locks, behind the README's TLS proxy.

django-ipware reads X-Forwarded-For, but it cannot know whether the request came from the
proxy or straight from someone who wrote that header themselves. So the header is believed
only when the connection itself (REMOTE_ADDR) comes from a trusted proxy
(AXES_TRUSTED_PROXIES), or, with AXES_PROXY_COUNT alone, from every connection (gunicorn is
then reachable only through the proxy). The connection's address is appended to the header's
chain, so ipware walks proxy hops from the right and never trusts a spoofed left-most entry.
"""

from types import SimpleNamespace

from django.conf import settings
from ipware.ip import get_client_ip


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").strip()
    trusted = list(settings.AXES_IPWARE_PROXY_TRUSTED_IPS or [])
    count = settings.AXES_IPWARE_PROXY_COUNT or None
    if not forwarded or not remote or not (trusted or count):
        return remote
    if trusted and remote not in trusted:
        return remote
    chain = SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": f"{forwarded}, {remote}"})
    ip, _routable = get_client_ip(
        chain,
        proxy_count=count,
        proxy_trusted_ips=trusted or None,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return ip or remote
