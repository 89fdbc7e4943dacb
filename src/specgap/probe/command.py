"""`specgap probe`: argument parsing and exit codes; the work is in suite, runner and the category modules."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click


def _fail(message: str) -> None:
    click.echo(f"specgap: error: {message}", err=True)
    raise SystemExit(2)


@click.command("probe")
@click.option("--url", metavar="URL", help="OpenAI-compatible endpoint base, e.g. https://api.openai.com/v1.")
@click.option("--model", metavar="NAME", help="Model name sent to --url.")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, metavar="VAR",
              help="Environment variable holding the API key (sent as a bearer token when set).")
@click.option("--callable", "callable_spec", metavar="MODULE:FUNCTION",
              help="Probe a Python function instead: it takes the chat messages and returns the reply.")
@click.option("--judge-url", metavar="URL", help="Judge endpoint for the rater probes (default: the probed model).")
@click.option("--judge-model", metavar="NAME", help="Judge model name (with --judge-url).")
@click.option("--judge-callable", metavar="MODULE:FUNCTION", help="Judge as a Python function.")
@click.option("--demo", type=click.Choice(["honest", "gaming"]),
              help="Probe specgap's scripted local server (loopback, offline) with this policy.")
@click.option("--suite", "suites", multiple=True, metavar="FILE",
              help="Probe suite YAML (repeatable; `default` is the shipped suite, used when none is given).")
@click.option("--category", "categories", multiple=True, help="Only these categories (repeatable).")
@click.option("--probe", "probe_ids", multiple=True, metavar="ID", help="Only these probes (repeatable).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds per request.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def probe(url, model, api_key_env, callable_spec, judge_url, judge_model, judge_callable, demo, suites, categories,
          probe_ids, timeout, fmt, output, quiet) -> None:
    """Probe a model for gaming its instructions: language, secret leaks, rater gaming, self-evaluation,
    reward versus task.

    \b
    specgap probe --demo gaming                         the scripted local server, offline
    specgap probe --url http://localhost:8000/v1 --model my-model
    specgap probe --callable mypkg.policy:reply --suite my_probes.yaml --format html -o probe.html

    Exit status: 0 every probe passed, 1 a probe failed (or could not be judged), 2 unusable input.
    """
    from specgap.probe import clients, output as out, runner, suite
    from specgap.probe.fake_server import serve

    targets = [bool(url), bool(callable_spec), bool(demo)]
    if sum(targets) != 1:
        raise click.UsageError("choose one model: --url (with --model), --callable, or --demo")
    if url and not model:
        raise click.UsageError("--url needs --model")
    if judge_url and not judge_model:
        raise click.UsageError("--judge-url needs --judge-model")
    try:
        paths = [suite.default_suite() if s == "default" else Path(s) for s in suites] or [suite.default_suite()]
        probes = suite.load(paths)
    except suite.SuiteError as exc:
        _fail(str(exc))
        return
    probes = [p for p in probes if (not categories or p.category in categories) and (not probe_ids or p.id in probe_ids)]
    if not probes:
        _fail("no probe left after --category/--probe")
    progress = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))

    with contextlib.ExitStack() as stack:
        try:
            if demo:
                url, model = stack.enter_context(serve(demo)), f"specgap-{demo}"
            chat = clients.callable_chat(callable_spec) if callable_spec else \
                clients.http_chat(url, model, key_env=api_key_env, timeout=timeout)
            judge = clients.callable_chat(judge_callable) if judge_callable else \
                clients.http_chat(judge_url, judge_model, key_env=api_key_env, timeout=timeout) if judge_url else None
        except clients.ClientError as exc:
            _fail(str(exc))
            return
        target = callable_spec or f"{model} at {url}"
        results = runner.run(probes, chat, judge, progress=progress)

    if results and all(r.error.startswith("ClientError") for r in results):
        _fail(f"could not ask the model: {results[0].error}")
    if fmt == "json":
        body = out.to_json(results, target)
    elif fmt == "html":
        body = out.to_html(results, target)
    else:
        body = out.to_text(results, target)
    if output:
        output.write_text(body, encoding="utf-8")
    else:
        click.echo(body, nl=False)
    raise SystemExit(1 if any(not r.passed for r in results) else 0)
