from django.db import models


class BenchNote(models.Model):
    text = models.CharField(max_length=100, default="")
    remark = models.CharField(max_length=100, null=True, blank=True)  # added by 0002: the one-column migration
