"""Print the current two-step verification code of a demo login (the demo's key is published)."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo login (demo settings only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.JIANNUO_DEMO:
            raise CommandError("Only the demo's published authenticator key can be read out (JIANNUO_DEMO=1).")
        device = TOTPDevice.objects.filter(user__username=username, name="demo", confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator.")
        generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{generator.token():0{device.digits}d}")
