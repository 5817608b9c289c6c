"""What `kiosk bench e2e` writes: the JSON, a Markdown table of every target, and two plots
(latency per route, and each kiosk turn's stages as a stacked bar)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kiosk.bench.e2e_analysis import STAGES, latencies
from kiosk.bench.host import describe

STAGE_LABELS = {
    "end_of_turn": "end of turn",
    "stt": "speech to text",
    "route": "route",
    "reply_first_audio": "TTS first audio / cloud uplink + first byte",
    "output": "output (queue, device latency)",
}


def write_outputs(report: dict[str, Any], folder: Path, stem: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "json": folder / f"{stem}.json",
        "markdown": folder / f"{stem}.md",
        "latency_plot": folder / f"{stem}-latency.png",
        "stages_plot": folder / f"{stem}-stages.png",
    }
    written = {k: str(v) for k, v in files.items()}
    try:
        plot_latency(report, files["latency_plot"])
        plot_stages(report, files["stages_plot"])
    except ImportError:
        report.setdefault("missing", []).append(
            "plots: matplotlib is not installed (pip install -e '.[bench]')"
        )
        del written["latency_plot"], written["stages_plot"]
    files["markdown"].write_text(markdown(report), encoding="utf-8")
    report["files"] = written
    files["json"].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return written


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    else:
        text = str(value)
    return f"{text}{unit}"


def rows_vs_targets(report: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(measure, target, kiosk, best peer, met) for every target of the issue."""
    t = report["targets"]
    local, cloud = report["local"], report["cloud"]
    kiosk = report["kiosk"]
    proc = kiosk["process"]
    peer = report["peer"]
    peers = report["peers"]
    best = peers.get(str(peer["name"] or "").removeprefix("pipecat "), {})
    overhead = report["cloud_overhead"]

    def met(value: Any, limit: float) -> str:
        return "n/a" if value is None else ("yes" if value <= limit else "**no**")

    peer_cut = min((p["cut_off"] for p in peers.values()), default=None)
    cut_ok = (
        "n/a"
        if peer_cut is None
        else (
            "yes"
            if kiosk["cut_off"] < peer_cut or (kiosk["cut_off"] == 0 and peer_cut == 0)
            else "**no**"
        )
    )
    return [
        ("local turns p50", f"<= {t['local_p50_ms']} ms", _fmt(local["p50_ms"], " ms"),
         "", met(local["p50_ms"], t["local_p50_ms"])),
        ("local turns p95", f"<= {t['local_p95_ms']} ms", _fmt(local["p95_ms"], " ms"),
         "", met(local["p95_ms"], t["local_p95_ms"])),
        ("cloud turns p50", f"<= {t['cloud_p50_ms']} ms", _fmt(cloud["p50_ms"], " ms"),
         _fmt(best.get("all", {}).get("p50_ms"), " ms (all its turns)"),
         met(cloud["p50_ms"], t["cloud_p50_ms"])),
        ("cloud turns p95", f"<= {t['cloud_p95_ms']} ms", _fmt(cloud["p95_ms"], " ms"),
         _fmt(best.get("all", {}).get("p95_ms"), " ms"), met(cloud["p95_ms"], t["cloud_p95_ms"])),
        ("kiosk overhead on cloud turns p50", f"<= {t['cloud_overhead_ms']} ms",
         _fmt(overhead["p50_ms"], " ms"), "", met(overhead["p50_ms"], t["cloud_overhead_ms"])),
        ("end of speech -> first audio p50, kiosk / Pipecat", f"<= {t['ratio_p50']}",
         _fmt(peer["ratio_p50"]), f"{_fmt(peer['p50_ms'], ' ms')} ({peer['name']})",
         met(peer["ratio_p50"], t["ratio_p50"])),
        ("end of speech -> first audio p95, kiosk / Pipecat", f"<= {t['ratio_p95']}",
         _fmt(peer["ratio_p95"]), _fmt(peer["p95_ms"], " ms"),
         met(peer["ratio_p95"], t["ratio_p95"])),
        ("questions cut off", f"< Pipecat's and <= {t['cut_off_share']:.0%}",
         f"{kiosk['cut_off']} of {kiosk['n']}",
         ", ".join(f"{n}: {p['cut_off']}" for n, p in peers.items()) or "n/a",
         cut_ok if kiosk["cut_off_share"] <= t["cut_off_share"] else "**no**"),
        ("answered at all", "all", f"{kiosk['answered']} of {kiosk['n']}",
         ", ".join(f"{n}: {p['answered']}" for n, p in peers.items()) or "n/a",
         "yes" if kiosk["answered"] == kiosk["n"] else "**no**"),
        ("idle CPU (nobody there, camera, VAD)", f"<= {t['idle_cpu_pct']}% of a core",
         _fmt(proc["idle_cpu_pct"], "%"), _fmt(best.get("process", {}).get("idle_cpu_pct"), "%"),
         met(proc["idle_cpu_pct"], t["idle_cpu_pct"])),
        ("busy CPU (while asked)", "", _fmt(proc["busy_cpu_pct"], "%"),
         _fmt(best.get("process", {}).get("busy_cpu_pct"), "%"), ""),
        ("peak RSS, all models loaded", f"<= {t['peak_rss_mb']} MB",
         _fmt(proc["peak_rss_mb"], " MB"), _fmt(best.get("process", {}).get("peak_rss_mb"), " MB"),
         met(proc["peak_rss_mb"], t["peak_rss_mb"])),
        ("cold start until ready", f"<= {t['cold_start_s']} s",
         _fmt(report.get("cold_start_s"), " s"), _fmt(best.get("ready_s"), " s"),
         met(report.get("cold_start_s"), t["cold_start_s"])),
    ]  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "| measure | target | kiosk | Pipecat | met |",
        "|---|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows_vs_targets(report)),
        "",
        f"Local share {report['local_share']:.0%} (routes {report['routes']}); "
        f"{report['kiosk']['tokens_per_turn']} tokens and "
        f"{report['kiosk']['frames_per_turn']} frames per turn "
        f"({report['kiosk']['tokens_per_cloud_turn']} tokens, "
        f"{report['kiosk']['frames_per_cloud_turn']} frames per cloud turn).",
        "",
        "| system | n | p50 | p95 | answered | cut off | busy CPU | idle CPU | peak RSS | ready |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    systems = [("kiosk", report["kiosk"])] + [
        (f"Pipecat {n}", p) for n, p in report["peers"].items()
    ]
    for name, s in systems:
        proc = s["process"]
        lines.append(
            f"| {name} | {s['n']} | {_fmt(s['all']['p50_ms'], ' ms')} | "
            f"{_fmt(s['all']['p95_ms'], ' ms')} | {s['answered']} | {s['cut_off']} | "
            f"{_fmt(proc['busy_cpu_pct'], '%')} | {_fmt(proc['idle_cpu_pct'], '%')} | "
            f"{_fmt(proc['peak_rss_mb'], ' MB')} | {_fmt(s.get('ready_s'), ' s')} |"
        )
    lines += [
        "",
        "Cloud turns as the simulator saw them, p50 (ms): end of speech to the server having "
        "the turn, the server's time to first byte, its first audio to the speaker:",
        "",
        "| system | n | to server | server TTFB | after server |",
        "|---|---|---|---|---|",
    ]
    for name, s in systems:
        view = s["server_view"]
        lines.append(
            f"| {name} | {view['sim_ttfb_ms']['n']} | {_fmt(view['to_server_ms']['p50_ms'])} | "
            f"{_fmt(view['sim_ttfb_ms']['p50_ms'])} | {_fmt(view['after_server_ms']['p50_ms'])} |"
        )
    lines += ["", "Kiosk stages, p50 (ms):", "", "| route | n | " + " | ".join(STAGES) + " |"]
    lines.append("|---|---|" + "---|" * len(STAGES))
    for route, stages in report["stages"].items():
        cells = " | ".join(_fmt(stages[s]["p50_ms"]) for s in STAGES)
        lines.append(f"| {route} | {stages['n']} | {cells} |")
    lines += [
        "",
        f"Machine: {describe(m)}; simulator TTFB {report['plan']['ttfb_ms']:.0f} ms.",
    ]
    if report.get("missing"):
        lines += ["", "Missing from this run:", *(f"- {item}" for item in report["missing"])]
    return "\n".join(lines) + "\n"


def print_report(report: dict[str, Any]) -> None:
    print(markdown(report), flush=True)
    for name, path in report.get("files", {}).items():
        print(f"e2e: {name}: {path}")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_latency(report: dict[str, Any], path: Path) -> None:
    """End of speech to first audible reply, one box (with every turn as a dot) per route."""
    plt = _pyplot()
    rows = report["kiosk"]["rows"]
    groups: list[tuple[str, list[float]]] = [
        ("kiosk local", latencies(rows, "local")),
        ("kiosk cloud", latencies(rows, "cloud")),
        ("kiosk fallback", latencies(rows, "fallback")),
    ]
    for name, peer in report["peers"].items():
        groups.append((f"Pipecat\n{name}", latencies(peer["rows"])))
    groups = [(n, v) for n, v in groups if v]
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    if groups:
        ax.boxplot([v for _, v in groups], showfliers=False)
        for i, (_, values) in enumerate(groups, start=1):
            spread = [i + 0.18 * ((k % 7) / 6 - 0.5) for k in range(len(values))]
            ax.scatter(spread, values, s=14, alpha=0.7)
        ax.set_xticks(range(1, len(groups) + 1), [n for n, _ in groups])
    ax.set_ylabel("end of speech -> first audible reply (ms)")
    targets = report["targets"]
    for value, label in (
        (targets["local_p50_ms"], "local p50 target"),
        (targets["cloud_p50_ms"], "cloud p50 target"),
    ):
        ax.axhline(value, linestyle="--", linewidth=0.8, color="grey")
        ax.text(0.55, value, label, fontsize=7, color="grey", va="bottom")
    ax.set_title(f"Latency per route (simulator TTFB {report['plan']['ttfb_ms']:.0f} ms)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_stages(report: dict[str, Any], path: Path) -> None:
    """Each kiosk turn's latency split into its stages, as a stacked bar."""
    plt = _pyplot()
    rows = [r for r in report["kiosk"]["rows"] if r.get("stages_ms")]
    fig, ax = plt.subplots(figsize=(max(8, 0.32 * len(rows) + 3), 4.8), dpi=110)
    bottom_pos = [0.0] * len(rows)
    bottom_neg = [0.0] * len(rows)
    x = list(range(len(rows)))
    for stage in STAGES:
        values = [float(r["stages_ms"][stage]) for r in rows]
        base = [bottom_pos[i] if v >= 0 else bottom_neg[i] for i, v in enumerate(values)]
        ax.bar(x, values, bottom=base, label=STAGE_LABELS[stage], width=0.8)
        for i, v in enumerate(values):
            if v >= 0:
                bottom_pos[i] += v
            else:
                bottom_neg[i] += v
    ax.set_xticks(x, [f"{r['route'][0].upper()} {i}" for i, r in enumerate(rows)], fontsize=7)
    ax.set_ylabel("ms after the end of speech")
    ax.set_xlabel("turn (L local, C cloud, F fallback)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Kiosk: each turn's stages, end of speech -> first audible reply")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
