"""The search document moves to its own narrow table, ProgrammeSearch (see its docstring).

Triggers keep its copies of the programme's listing (published by an active provider), city,
next start and lower-cased titles on every INSERT/UPDATE of a programme and every UPDATE of a
provider, whoever writes (services, admin, bulk updates, raw SQL); statement-level, with
transition tables, so a bulk update of 20,000 programmes is one statement more. The existing
documents are copied from the programme's columns, which are then dropped (reversing the
migration brings them back empty: run `programme_search_refresh`)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

SYNC = """
CREATE FUNCTION programmes_search_sync(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO programmes_programmesearch AS d
        (programme_id, listed, city_id, next_start, title_th_lower, title_en_lower, search_text, search_vector)
    SELECT p.id, p.status = 'published' AND v.is_active, v.city_id, p.next_start, lower(p.title_th),
           lower(COALESCE(NULLIF(p.title_en, ''), p.title_th)), '', ''::tsvector
    FROM programmes_programme p JOIN programmes_provider v ON v.id = p.provider_id
    WHERE p.id = ANY(ids)
    ON CONFLICT (programme_id) DO UPDATE SET
        listed = EXCLUDED.listed, city_id = EXCLUDED.city_id, next_start = EXCLUDED.next_start,
        title_th_lower = EXCLUDED.title_th_lower, title_en_lower = EXCLUDED.title_en_lower
    WHERE (d.listed, d.city_id, d.next_start, d.title_th_lower, d.title_en_lower)
          IS DISTINCT FROM
          (EXCLUDED.listed, EXCLUDED.city_id, EXCLUDED.next_start, EXCLUDED.title_th_lower, EXCLUDED.title_en_lower)
$$;

CREATE FUNCTION programmes_search_programme_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM programmes_search_sync(ARRAY(SELECT id FROM new_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION programmes_search_provider_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM programmes_search_sync(ARRAY(
        SELECT p.id FROM programmes_programme p JOIN new_rows n ON p.provider_id = n.id
        JOIN old_rows o ON o.id = n.id
        WHERE (n.is_active, n.city_id) IS DISTINCT FROM (o.is_active, o.city_id)));
    RETURN NULL;
END $$;

CREATE TRIGGER programmes_search_programme_insert AFTER INSERT ON programmes_programme
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programmes_search_programme_changed();
CREATE TRIGGER programmes_search_programme_update AFTER UPDATE ON programmes_programme
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programmes_search_programme_changed();
CREATE TRIGGER programmes_search_provider_update AFTER UPDATE ON programmes_provider
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION programmes_search_provider_changed();

-- Uncompressed: a match costs no decompression; a long value moves out of line instead.
ALTER TABLE programmes_programmesearch
    ALTER COLUMN title_th_lower SET STORAGE EXTERNAL,
    ALTER COLUMN title_en_lower SET STORAGE EXTERNAL,
    ALTER COLUMN search_text SET STORAGE EXTERNAL,
    ALTER COLUMN search_vector SET STORAGE EXTERNAL;

-- The documents so far (`|| ''` makes new, uncompressed values of the compressed old ones).
INSERT INTO programmes_programmesearch
    (programme_id, listed, city_id, next_start, title_th_lower, title_en_lower, search_text, search_vector)
SELECT p.id, p.status = 'published' AND v.is_active, v.city_id, p.next_start, lower(p.title_th),
       lower(COALESCE(NULLIF(p.title_en, ''), p.title_th)), p.search_text || '', p.search_vector || ''::tsvector
FROM programmes_programme p JOIN programmes_provider v ON v.id = p.provider_id;
ANALYZE programmes_programmesearch;
"""

UNSYNC = """
DROP TRIGGER programmes_search_provider_update ON programmes_provider;
DROP TRIGGER programmes_search_programme_update ON programmes_programme;
DROP TRIGGER programmes_search_programme_insert ON programmes_programme;
DROP FUNCTION programmes_search_provider_changed();
DROP FUNCTION programmes_search_programme_changed();
DROP FUNCTION programmes_search_sync(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("city", "0002_city_first_publication_review"),
        ("programmes", "0005_trigram_similarity_cost"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgrammeSearch",
            fields=[
                (
                    "programme",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="programmes.programme",
                    ),
                ),
                ("listed", models.BooleanField(default=False, editable=False)),
                ("next_start", models.DateTimeField(editable=False, null=True)),
                ("title_th_lower", models.TextField(default="", editable=False)),
                ("title_en_lower", models.TextField(default="", editable=False)),
                ("search_text", models.TextField(default="", editable=False)),
                ("search_vector", django.contrib.postgres.search.SearchVectorField(default="", editable=False)),
                (
                    "city",
                    models.ForeignKey(
                        db_constraint=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="city.city",
                    ),
                ),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
            },
        ),
        migrations.AddIndex(
            model_name="programmesearch",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_vector"], name="programmesearch_vector_gin"),
        ),
        migrations.AddIndex(
            model_name="programmesearch",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(models.F("search_text"), name="gin_trgm_ops"),
                name="programmesearch_text_trgm",
            ),
        ),
        migrations.RunSQL(SYNC, UNSYNC),
        migrations.RemoveIndex(model_name="programme", name="programme_search_vector_gin"),
        migrations.RemoveIndex(model_name="programme", name="programme_search_text_trgm"),
        migrations.RemoveField(model_name="programme", name="search_vector"),
        migrations.RemoveField(model_name="programme", name="search_body_tokens"),
        migrations.RemoveField(model_name="programme", name="search_meta_tokens"),
        migrations.RemoveField(model_name="programme", name="search_text"),
        migrations.RemoveField(model_name="programme", name="search_title_tokens"),
    ]
