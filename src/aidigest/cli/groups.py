"""The command groups: `aidigest eval`, `cache`, `profile` and `store`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TYPE_CHECKING, TypeVar

import typer

from ..errors import UserError
from ..infra.pgstore import is_url
from .app import ConfigOpt, DbOpt, cache_app, eval_app, load, profile_app, store_app
from .errors import command
from .output import Session, shown_db

if TYPE_CHECKING:
    from ..config import Config
    from ..infra.store import Store

T = TypeVar("T")


@command(eval_app, "classify")
def eval_classify_cmd(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder with the test split (dw-dengwei_*.jsonl; news/ beside it if present). Default: ../shared/data, else the copy shipped in the package."),
    ] = None,
) -> None:
    """Accuracy of the offline classifier on the held-out test split: papers and news (English, Korean); the first line is the fair, text-only figure."""
    from ..classify.eval import default_test_dir, eval_classify  # lazy: heavy (numpy, the offline classifier)
    from ..classify.eval_table import (  # lazy: heavy (the classify package)
        category_table, fair_line, family_line, family_table, news_line, news_table)
    from ..classify.news_eval import default_news_dir, eval_news  # lazy: heavy (the classify package)

    session = Session.of(ctx)
    folder = data or default_test_dir()
    if folder is None or not Path(folder).exists():
        raise UserError(f"test split not found at {folder}; pass --data DIR")
    report = eval_classify(folder)
    news_dir = default_news_dir(data)
    news = eval_news(news_dir) if news_dir else None
    out = session.out
    out.print(fair_line(report, news), highlight=False, soft_wrap=True)
    out.print(family_table(report, folder))
    out.print(family_line(report), highlight=False)
    out.print(category_table(report))
    if news is None:
        out.print("news: no labelled news set found (aidigest/data/eval/news, or news/ beside --data)", highlight=False)
        return
    for lang, s in news.sets.items():
        out.print(news_table(lang, s))
        out.print(news_line(lang, s), highlight=False)


@command(eval_app, "profiles")
def eval_profiles_cmd(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder with both splits of the labelled papers (linyueqian_* dev, dw-dengwei_* test). "
                                    "Default: ../shared/data, else the copies in tests/data."),
    ] = None,
    split: Annotated[
        str,
        typer.Option("--split", help="test: profiles from the dev split, scored on the test days (report this once). "
                                     "dev: profiles from the first half of the dev days, scored on the other half "
                                     "(for choosing settings; the test split is not read)."),
    ] = "test",
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Precision@10 of a profile's "추천" section for simulated readers (profiles from dev papers, scored on test
    days) against popularity order and a random order (both as expected values)."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..reuse import embed_cached  # lazy: heavy (pydantic): not for --help
    from ..classify import offline  # lazy: heavy (numpy, the offline classifier)
    from ..profiles.evaluate import default_data_dir, evaluate, table  # lazy: heavy (numpy, the ranking)

    session = Session.of(ctx)
    if split not in ("dev", "test"):
        raise UserError(f"--split: dev or test, not {split!r}")
    folder = data or default_data_dir()
    if folder is None or not Path(folder).is_dir():
        raise UserError(f"labelled papers not found at {folder}; pass --data DIR")
    cfg = load(session, config, db)
    with Store(cfg.general.db) as store:  # embeddings cached there: a second run is fast
        try:
            scores = evaluate(Path(folder), lambda texts: embed_cached(texts, store, embed=offline.embed), split)
        except FileNotFoundError as e:
            raise UserError(str(e)) from None
    where = "the test split" if split == "test" else "the second half of the dev days (profiles from the first half)"
    out = session.out
    out.print(f"Reader profiles on {where} ({folder}): precision@10 of the \"추천\" section", highlight=False, soft_wrap=True,
              markup=False)
    out.print(table(scores), highlight=False, markup=False, soft_wrap=True)  # a Markdown table: one line per row


@command(cache_app, "stats")
def cache_stats_cmd(ctx: typer.Context, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Entries, tokens and cost held in the LLM cache."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..llm.cache import cache_stats  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    cfg = load(session, config, db)
    # only reads: a read-only store can be inspected; no store yet = an empty cache (nothing is created)
    with Store(cfg.general.db, read_only=True) if is_url(cfg.general.db) or Path(cfg.general.db).exists() else Store() as store:
        stats = cache_stats(store)
    session.out.print_json(stats.model_dump_json())


@command(cache_app, "clear")
def cache_clear_cmd(
    ctx: typer.Context,
    older_than_days: Annotated[int | None, typer.Option("--older-than-days", help="Only entries older than this.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Delete cached LLM responses (all, or those older than N days)."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..llm.cache import cache_clear  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    if older_than_days is not None and older_than_days < 0:
        raise UserError(f"--older-than-days {older_than_days}: must be 0 or more (days)")
    cfg = load(session, config, db)
    with Store(cfg.general.db) as store:
        n = cache_clear(store, older_than_days)
    session.out.print(f"deleted {n} cached responses")


def _on_profile(session: Session, config: Path | None, db: str | None, name: str,
                change: Callable[[Store], T]) -> tuple[Config, T]:
    """The config and what `change` did to the store, for a profile the config names."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    cfg = load(session, config, db)
    if name not in cfg.profiles:
        known = ", ".join(sorted(cfg.profiles)) or "none configured"
        raise UserError(f"no profile {name!r} in the config ([profiles.<name>]; known: {known})")
    with Store(cfg.general.db) as store:
        return cfg, change(store)


@command(profile_app, "add-paper")
def profile_add_paper(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The profile (profiles.NAME in the config).")],
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id (2507.01234), arXiv:ID or an arxiv.org/abs URL.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add a paper the reader likes to the profile's liked set (kept in the store; the ranking compares with it)."""
    from ..profiles.reader import add_liked  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    _, added = _on_profile(session, config, db, name, lambda store: add_liked(store, name, arxiv_id))
    session.line(f"profile {name}: {'added' if added else 'already liked'} {arxiv_id.strip()}")


@command(profile_app, "remove-paper")
def profile_remove_paper(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The profile (profiles.NAME in the config).")],
    arxiv_id: Annotated[str, typer.Argument(help="The arXiv id to remove.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove a paper added with add-paper (an id listed in the config's `liked` is edited there)."""
    from ..profiles.reader import normalize_id, remove_liked  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    cfg, removed = _on_profile(session, config, db, name, lambda store: remove_liked(store, name, arxiv_id))
    aid = normalize_id(arxiv_id)
    in_config = aid in {normalize_id(x) for x in cfg.profiles[name].liked}
    if not removed:
        where = f" (it is listed in [profiles.{name}] liked in {cfg.source_file}: remove it there)" if in_config else ""
        raise UserError(f"profile {name}: {aid} was not added with add-paper{where}")
    note = f"; still liked through [profiles.{name}] liked in {cfg.source_file}" if in_config else ""
    session.line(f"profile {name}: removed {aid}{note}")


@command(profile_app, "list")
def profile_list(ctx: typer.Context, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """The configured profiles: liked papers (config + store), keywords, authors, targets, where their pages go."""
    from ..infra.store import Store  # lazy: heavy (pydantic): not for --help
    from ..profiles.reader import liked_ids, site_path  # lazy: heavy (pydantic): not for --help
    from ..profiles.personalize import profile_out_dir  # lazy: heavy (numpy, the ranking)

    session = Session.of(ctx)
    cfg = load(session, config, db)
    out = session.out
    if not cfg.profiles:
        out.print("no profiles configured ([profiles.<name>] in the config; README \"Profiles\")", highlight=False, markup=False)
        return
    with Store(cfg.general.db) as store:
        for name, p in cfg.profiles.items():
            stored = liked_ids(store, name)
            out.print(f"{name}: {len(p.interests)} interest(s), liked {len(p.liked)} in config + {len(stored)} added"
                      f"{' + ' + p.liked_file if p.liked_file else ''}, keywords +{len(p.include_keywords)}/-{len(p.exclude_keywords)},"
                      f" authors {len(p.authors)}, targets {len(p.targets)}; reports {profile_out_dir(Path(cfg.general.out), name)},"
                      f" site {cfg.site.out}/{site_path(name, p)}", highlight=False, markup=False, soft_wrap=True)


@command(store_app, "copy")
def store_copy_cmd(
    ctx: typer.Context,
    src: Annotated[str, typer.Argument(help="The store to copy: a SQLite file or a postgresql:// URL.")],
    dst: Annotated[str, typer.Argument(help="The new store (empty): a SQLite file or a postgresql:// URL.")],
) -> None:
    """Copy every owner's tables from SRC to an empty DST (SQLite -> PostgreSQL and back), in one transaction."""
    from ..infra.storecopy import copy_store  # lazy: heavy (pydantic): not for --help
    session = Session.of(ctx)
    if not is_url(src) and not Path(src).is_file():
        raise UserError(f"store copy: {src} does not exist")
    session.db = dst
    copied = copy_store(src if is_url(src) else str(Path(src)), dst if is_url(dst) else str(Path(dst)))
    for table, n in copied.items():
        session.line(f"{table}: {n} rows")
    session.line(f"copied {sum(copied.values())} rows in {len(copied)} tables from {shown_db(src)} to {shown_db(dst)}")

