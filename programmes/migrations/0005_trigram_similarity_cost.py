"""Tell the planner what pg_trgm's word similarity costs.

pg_trgm declares its functions with the default COST 1 (one cpu_operator_cost), but
`word_similarity` on a catalogue document takes ~35 µs, about a thousand times more. With the
default, the planner answers `search_text %> 'photography'` (OR-ed with the other search
conditions) by scanning all 20,000 programmes and computing the similarity for each (685 ms
at large scale) instead of using the trigram index (6 ms). Altering the functions needs their
owner (a superuser when pg_trgm was installed as a trusted extension by the database owner):
without the privilege the migration only leaves a NOTICE, and search stays correct, slower."""

from django.db import migrations

SET_COST = """
DO $$
BEGIN
    ALTER FUNCTION word_similarity(text, text) COST {cost};
    ALTER FUNCTION word_similarity_op(text, text) COST {cost};
    ALTER FUNCTION word_similarity_commutator_op(text, text) COST {cost};
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm word similarity cost left at its default (not the owner)';
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0004_programme_upcoming_sessions"),
    ]

    operations = [
        migrations.RunSQL(SET_COST.format(cost=1000), SET_COST.format(cost=1)),
    ]
