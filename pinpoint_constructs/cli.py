"""The ``pinpoint-constructs`` command line.

Subcommands:
  synth-summary [CDK_OUT]   summarise a synthesized cloud assembly: stacks, resource counts, the cdk-nag result
                            and where the templates are (the README's main job prints this after ``cdk synth``).
  validate-import FILE      validate a Pinpoint import file (CSV or newline-delimited JSON) locally with the import
                            Lambda's own code; prints rows/valid/rejected and the top reasons. Exit 0 when the file
                            is usable (rejected rows do NOT make it non-zero; see --rejects), 1 when it is unusable
                            (binary, not UTF-8, no header, empty, unknown standard column).
  campaign start --state-machine-arn ARN --request FILE [--at ISO-8601 --scheduler-role-arn ARN
                            --schedule-group NAME]   start a CampaignRunner run now (or schedule it); prints the
                            execution or schedule ARN. The request is the JSON documented in the README.
  campaign summary EXECUTION_ARN   the run's status and, once finished, its counts per status.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path


def summarise_assembly(cdk_out: Path) -> tuple[list[str], bool]:
    """Lines describing the cloud assembly in ``cdk_out``, and whether the nag validation passed."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    lines = [f"Cloud assembly: {cdk_out.resolve()}"]
    total = 0
    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = cdk_out / artifact["properties"]["templateFile"]
        resources = json.loads(template_file.read_text()).get("Resources", {})
        total += len(resources)
        by_service = Counter(r["Type"].split("::")[1] for r in resources.values())
        services = ", ".join(f"{name} {count}" for name, count in by_service.most_common())
        lines.append(f"  stack {artifact_id}: {len(resources)} resources ({services})")
        lines.append(f"    template: {template_file}")
    lines.append(f"  total resources: {total}")

    passed, nag_line = _nag_result(cdk_out)
    lines.append(nag_line)
    return lines, passed


def _nag_result(cdk_out: Path) -> tuple[bool, str]:
    """The validation plugins' result. cdk-nag v3 fails synth on any unacknowledged error and lists only plugins
    with findings in ``validation-report.json``, so an absent AwsSolutions entry after a successful synth means
    zero findings. Acknowledgments (each with its reason) are counted from the stacks' metadata."""
    report_path = cdk_out / "validation-report.json"
    plugins = json.loads(report_path.read_text()).get("pluginReports", []) if report_path.exists() else []
    acknowledged = 0
    for metadata_file in cdk_out.glob("*.metadata.json"):
        for entries in json.loads(metadata_file.read_text()).values():
            acknowledged += sum(
                len(e.get("data") or {}) for e in entries if e.get("type") == "aws:cdk:acknowledged-rules"
            )
    nag = [p for p in plugins if p.get("pluginName") == "AwsSolutions"]
    nag_findings = sum(len(p.get("violations", [])) for p in nag)
    lines = [
        f"  cdk-nag AwsSolutions: {nag_findings} unacknowledged finding(s), "
        f"{acknowledged} acknowledged with a reason in the constructs"
    ]
    for plugin in plugins:
        if plugin.get("pluginName") != "AwsSolutions":
            by_severity = Counter(v.get("severity", "?") for v in plugin.get("violations", []))
            findings = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items())) or "no findings"
            lines.append(f"  {plugin.get('pluginName')}: {plugin.get('conclusion')} ({findings})")
    return nag_findings == 0, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pinpoint-constructs", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    summary = commands.add_parser("synth-summary", help="summarise a synthesized cloud assembly")
    summary.add_argument("cdk_out", nargs="?", default="cdk.out", type=Path)
    check = commands.add_parser("validate-import", help="validate a Pinpoint endpoint import file locally")
    check.add_argument("file", type=Path)
    check.add_argument("--default-country", default="US", help="region for national phone numbers (default US)")
    check.add_argument("--rejects", type=Path, help="write rejected rows (PII masked) to this CSV")
    check.add_argument("--workers", type=int, default=None, help="processes (default: min(2, CPUs))")
    check.add_argument("--format", choices=["CSV", "JSON"], default=None, help="default: by extension or content")
    campaign = commands.add_parser("campaign", help="start a CampaignRunner run or read its summary")
    campaign_commands = campaign.add_subparsers(dest="campaign_command", required=True)
    start = campaign_commands.add_parser("start", help="start a run now, or at a time")
    start.add_argument("--state-machine-arn", required=True)
    start.add_argument("--request", type=Path, required=True, help="JSON file with the run request")
    start.add_argument("--at", help="ISO 8601 time with an offset, e.g. 2026-12-01T09:00:00+00:00")
    start.add_argument("--scheduler-role-arn", help="the runner's scheduler role (for --at)")
    start.add_argument("--schedule-group", help="the runner's schedule group (for --at)")
    start.add_argument("--name", help="execution or schedule name (default: campaign, treatment and a random part)")
    read = campaign_commands.add_parser("summary", help="status and counts per status of a run")
    read.add_argument("execution_arn")
    args = parser.parse_args(argv)

    if args.command == "validate-import":
        return _validate_import(args)
    if args.command == "campaign":
        return _campaign(args)

    if args.command == "synth-summary":
        lines, passed = summarise_assembly(args.cdk_out)
        print("\n".join(lines))
        return 0 if passed else 1
    return 2  # pragma: no cover - argparse rejects unknown commands


def _validate_import(args: argparse.Namespace) -> int:
    # Imported here so that the module (and synth-summary) stays cheap to import.
    from pinpoint_runtime.audience.endpoint_import import ImportFileError, validate_file_parallel  # noqa: PLC0415

    workers = args.workers if args.workers is not None else min(2, os.cpu_count() or 1)
    try:
        summary = validate_file_parallel(
            args.file,
            workers=workers,
            default_country=args.default_country,
            rejects=args.rejects,
            file_format=args.format,
        )
    except (ImportFileError, OSError) as error:
        print(f"{args.file}: unusable import file: {error}", file=sys.stderr)
        return 1
    print(f"{args.file}:")
    print("\n".join("  " + line for line in summary.lines()))
    if args.rejects is not None and summary.rejected:
        print(f"  rejects written to {args.rejects}")
    return 0


def _campaign(args: argparse.Namespace, *, sfn: object = None, scheduler: object = None) -> int:
    from datetime import datetime  # noqa: PLC0415

    from pinpoint_runtime.campaigns.runner import CampaignRequestError, CampaignRunnerClient  # noqa: PLC0415

    if args.campaign_command == "summary":
        arn = args.execution_arn
        state_machine = arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        print(json.dumps(CampaignRunnerClient(state_machine, sfn=sfn).summary(arn), indent=2, default=str))
        return 0
    try:
        request = json.loads(args.request.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(args.at) if args.at else None
        client = CampaignRunnerClient(
            args.state_machine_arn,
            scheduler_role_arn=args.scheduler_role_arn,
            schedule_group=args.schedule_group,
            sfn=sfn,
            scheduler=scheduler,
        )
        started = client.start(request, at=at, name=args.name)
    except (OSError, ValueError, CampaignRequestError) as error:
        print(f"campaign start: {error}", file=sys.stderr)
        return 1
    print(json.dumps(started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
