"""The misspelling lexicon (models.SearchWord), filled from the existing search documents."""

import django.contrib.postgres.indexes
from django.db import migrations, models

# services.SEARCH_WORDS_SQL as of this migration (a migration keeps its own copy).
FILL = (
    "INSERT INTO programmes_searchword (word)"
    " SELECT DISTINCT w.lexeme FROM programmes_programmesearch AS d, unnest(d.search_vector) AS w"
    " WHERE w.weights && ARRAY['A', 'B'] AND w.lexeme ~ '^[a-z][a-z0-9]*$'"
)


class Migration(migrations.Migration):

    dependencies = [
        ('programmes', '0006_search_document'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('word', models.TextField(primary_key=True, serialize=False)),
            ],
            options={
                'verbose_name': 'search word',
                'verbose_name_plural': 'search words',
                'indexes': [django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(models.F('word'), name='gin_trgm_ops'), name='searchword_word_trgm')],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
