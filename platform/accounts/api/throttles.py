"""DRF throttles keyed by the client address the deployment can vouch for (accounts.network)."""
from rest_framework.throttling import ScopedRateThrottle

from ..network import client_address


class AddressThrottle(ScopedRateThrottle):
    def get_ident(self, request):
        return client_address(request)
