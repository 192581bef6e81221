"""Search over item titles: a shopper's words made safe, then MySQL's FULLTEXT index or LIKE.

On MySQL/MariaDB every word of three letters or more must start a word of the title
(``MATCH … AGAINST ('+trail* +shoe*' IN BOOLEAN MODE)``, on the index of migration
0003); shorter (and overlong) words, which the index does not hold, must appear
anywhere in the title (``LIKE``). On SQLite every word must appear anywhere in the
title. InnoDB's stopwords ("the", "for" …) are not in the index either, and a required
one would match nothing: they are left out of a query, or, when it has nothing else,
matched with ``LIKE``.

Words are runs of letters and digits: everything else, including the boolean operators
``+ - * " ( ) ~ < > @``, only separates words, so no input can change the query's
meaning or make it fail.
"""

import re

from django.db import connections, router
from django.db.models import Expression, F, FloatField, Func, QuerySet, Value

MAX_QUERY_LENGTH = 100
MAX_TERMS = 10
# innodb_ft_min_token_size and innodb_ft_max_token_size (3 and 84 by default): words of
# other lengths are not in the index, and MATCH ignores them where LIKE would not.
_MIN_INDEXED_LENGTH = 3
_MAX_INDEXED_LENGTH = 84
# information_schema.INNODB_FT_DEFAULT_STOPWORD, the same on MySQL 8 and MariaDB.
_STOPWORDS = frozenset(
    (  # noqa: SIM905 (one line of words reads better than 35 lines of them)
        "a about an are as at be by com de en for from how i in is it la of on or that the this to was what "
        "when where who will with und www"
    ).split()
)
_WORD = re.compile(r"[^\W_]+")


def search_terms(query: str) -> list[str]:
    """Return the distinct lower-case words of ``query`` (its first MAX_QUERY_LENGTH
    characters), at most MAX_TERMS of them, in the order typed.

    Stopwords ("shoes for the trail") are left out unless there is nothing else.
    """
    words = list(dict.fromkeys(_WORD.findall(query[:MAX_QUERY_LENGTH].lower())))
    return ([word for word in words if word not in _STOPWORDS] or words)[:MAX_TERMS]


class TitleMatch(Func):
    """``MATCH (title) AGAINST (%s IN BOOLEAN MODE)``: the relevance, > 0 when it matches."""

    output_field = FloatField()

    def __init__(self, title: Expression, against: str):
        super().__init__(title, Value(against))

    def as_sql(self, compiler, connection, **extra_context):
        title, against = self.get_source_expressions()
        title_sql, title_params = compiler.compile(title)
        against_sql, against_params = compiler.compile(against)
        return f"MATCH ({title_sql}) AGAINST ({against_sql} IN BOOLEAN MODE)", (*title_params, *against_params)


def _indexed(term: str) -> bool:
    return _MIN_INDEXED_LENGTH <= len(term) <= _MAX_INDEXED_LENGTH and term not in _STOPWORDS


def titles_matching(items: QuerySet, query: str) -> QuerySet:
    """Narrow ``items`` to those whose title has every word of ``query``; all for no words."""
    terms = search_terms(query)
    if not terms:
        return items
    on_mysql = connections[router.db_for_read(items.model)].vendor == "mysql"
    indexed = [t for t in terms if _indexed(t)] if on_mysql else []
    if indexed:
        against = " ".join(f"+{term}*" for term in indexed)
        items = items.alias(title_match=TitleMatch(F("title"), against)).filter(title_match__gt=0)
    for term in terms:
        if term not in indexed:
            items = items.filter(title__icontains=term)
    return items
