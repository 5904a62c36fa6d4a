from django.db import migrations, models


class Migration(migrations.Migration):
    """The one-column migration the benchmark times: a nullable column, so it is expand-only."""

    dependencies = [("bench_column", "0001_initial")]
    operations = [migrations.AddField(model_name="benchnote", name="remark", field=models.CharField(blank=True, max_length=100, null=True))]
