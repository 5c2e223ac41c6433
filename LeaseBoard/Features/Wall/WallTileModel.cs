using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Environments;

namespace LeaseBoard.Features.Wall;

public enum HeartbeatLevel { None, Fresh, Ageing, Stale }

/// <summary>
/// What one tile shows, computed from the data and the time: plain values only, so two models are
/// equal exactly when the tile would look the same (tiles re-render only when theirs changes).
/// </summary>
public sealed record WallTileModel
{
    public required string Key { get; init; }
    public required string Name { get; init; }
    /// <summary>What the environment is ("High memory, 64 GiB"), from configuration; null when none is configured.</summary>
    public string? Description { get; init; }
    public EnvironmentState State { get; init; }
    public HealthStatus Health { get; init; }
    /// <summary>How loud the tile is: it decides the colour, the state word and the icon.</summary>
    public WallSeverity Severity { get; init; }
    /// <summary>The severity's word ("Hung", "Leased"), shown in capitals.</summary>
    public required string StateText { get; init; }
    public required string HealthText { get; init; }
    /// <summary>"42 ms · checked 10 s ago".</summary>
    public required string HealthDetail { get; init; }
    /// <summary>The CSS class of the tile's severity: <c>sev-hung</c>, <c>sev-leased</c>, ….</summary>
    public string SeverityClass => "sev-" + Severity.ToString().ToLowerInvariant();
    public TileColours Colours => WallSeverities.ColoursOf(Severity);
    public string Icon => WallSeverities.IconOf(Severity);

    public string? LeaseTitle { get; init; }
    public string? LeaseOwner { get; init; }
    public string? LeaseKind { get; init; }
    /// <summary>" · Soak test · 62%": what follows the owner, dropped first on small tiles.</summary>
    public string? LeaseDetail => LeaseKind is null ? null : $" · {LeaseKind} · {ProgressPercent}%";
    public int? ProgressPercent { get; init; }
    public string? ElapsedText { get; init; }
    public string? RemainingText { get; init; }
    public string? HeartbeatText { get; init; }
    /// <summary>The heartbeat age for small tiles: "beat 20 s ago", "No beat for 11 min".</summary>
    public string? HeartbeatShort { get; init; }
    public HeartbeatLevel Heartbeat { get; init; }

    public string? NextText { get; init; }
    public string? QuarantineReason { get; init; }
    /// <summary>The reason for small tiles: "Stop failed", "Reset failed", or an admin's own words.</summary>
    public string? QuarantineReasonShort { get; init; }

    /// <summary>SVG polyline points in a 100×24 box (x: the last hour, y: latency), null with fewer than two samples.</summary>
    public string? SparklinePoints { get; init; }
    public string? SparklineLabel { get; init; }

    public bool IsLeased => LeaseTitle is not null;

    /// <summary>From this share of the hang timeout on, the heartbeat age turns amber.</summary>
    public const double AgeingShare = 0.5;

    public static WallTileModel From(WallEnvironment e, DateTime nowUtc, TimeSpan hangTimeout, TimeZoneInfo zone)
    {
        var lease = e.State is EnvironmentState.Leased || e.Lease?.State is ReservationState.Active ? e.Lease : null;
        var (heartbeat, heartbeatText, heartbeatShort) = lease is null ? (HeartbeatLevel.None, null, null) : HeartbeatOf(lease, nowUtc, hangTimeout);
        // Hung: silent past the hang timeout, or already being stopped by the engine for hanging.
        var hung = lease is not null && WallSeverities.RunIsHung(lease.RunState, lease.StopReason, lease.LastHeartbeatUtc ?? lease.RunStartedUtc, nowUtc, hangTimeout);
        var needsAttention = e.State == EnvironmentState.Quarantined && TestEnvironment.ReasonNeedsAttention(e.QuarantineReason);
        var severity = WallSeverities.Of(e.State, e.Health, lease is not null, hung, needsAttention);

        return new WallTileModel
        {
            Key = e.Key,
            Name = e.Name,
            Description = string.IsNullOrWhiteSpace(e.Description) ? null : e.Description,
            State = e.State,
            Health = e.Health,
            Severity = severity,
            StateText = WallSeverities.WordOf(severity),
            HealthText = e.Health.ToString(),
            HealthDetail = HealthDetailOf(e, nowUtc),
            LeaseTitle = lease?.Title,
            LeaseOwner = lease?.OwnerName,
            LeaseKind = lease is null ? null : KindWord(lease.Kind),
            ProgressPercent = lease is null ? null : Math.Clamp(lease.ProgressPercent, 0, 100),
            ElapsedText = lease is null ? null : Span(nowUtc - (lease.RunStartedUtc ?? lease.StartUtc)) + " elapsed",
            RemainingText = lease is null ? null : lease.EndUtc > nowUtc ? Span(lease.EndUtc - nowUtc) + " left" : "overtime",
            HeartbeatText = heartbeatText,
            HeartbeatShort = heartbeatShort,
            Heartbeat = heartbeat,
            NextText = e.Next is { } next ? NextOf(next, nowUtc, zone) : null,
            QuarantineReason = e.State == EnvironmentState.Quarantined ? e.QuarantineReason ?? "no reason given" : null,
            QuarantineReasonShort = e.State == EnvironmentState.Quarantined ? ShortReason(e.QuarantineReason ?? "no reason given") : null,
            SparklinePoints = Sparkline(e.Samples, nowUtc),
            SparklineLabel = e.Samples.Count >= 2 ? $"max {e.Samples.Max(s => s.LatencyMs)} ms in the last hour" : null,
        };
    }

    /// <summary>
    /// The engine writes reasons as "Category: detail" ("Reset failed: …", "Unhealthy: 3 health checks in a row failed (…)"); a small
    /// tile shows the category. A stop that failed says so, since the state word already says it needs attention. An admin's own
    /// words (no category) stay whole and wrap.
    /// </summary>
    public static string ShortReason(string reason)
    {
        if (TestEnvironment.ReasonNeedsAttention(reason))
            return reason.Contains("could not be stopped", StringComparison.Ordinal) ? "Stop failed" : "Needs a person";
        var colon = reason.IndexOf(": ", StringComparison.Ordinal);
        if (colon is <= 0 or > 24) return reason;
        // "Unhealthy: …" is the health probe's own quarantine; the state word already says unhealthy.
        return reason[..colon] == "Unhealthy" ? "Auto-quarantined" : reason[..colon];
    }

    private static string KindWord(TestKind kind) => kind == TestKind.Other ? "Test" : kind + " test";

    private static (HeartbeatLevel, string, string) HeartbeatOf(WallLease lease, DateTime nowUtc, TimeSpan hangTimeout)
    {
        var last = lease.LastHeartbeatUtc ?? lease.RunStartedUtc;
        if (last is null) return (HeartbeatLevel.None, "starting…", "starting…");
        var age = nowUtc - last.Value;
        if (age >= hangTimeout) return (HeartbeatLevel.Stale, $"No heartbeat for {Age(age)}", $"No beat {Age(age)}");
        return (age >= hangTimeout * AgeingShare ? HeartbeatLevel.Ageing : HeartbeatLevel.Fresh, $"last heartbeat {Age(age)} ago", $"beat {Age(age)} ago");
    }

    private static string HealthDetailOf(WallEnvironment e, DateTime nowUtc)
    {
        if (e.LastHealthCheckUtc is not { } checkedAt) return "never checked";
        var latency = e.HealthLatencyMs is { } ms ? $"{ms} ms · " : "";
        return $"{latency}checked {Age(nowUtc - checkedAt)} ago";
    }

    private static string NextOf(WallNext next, DateTime nowUtc, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(next.StartUtc, DateTimeKind.Utc), zone);
        var today = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc), zone).Date;
        var when = local.Date == today ? local.ToString("HH:mm", CultureInfo.InvariantCulture)
            : local.ToString("ddd HH:mm", CultureInfo.InvariantCulture);
        return next.StartUtc <= nowUtc ? $"Next: {next.OwnerName} · {next.Title} · now" : $"Next: {next.OwnerName} · {next.Title} · {when}";
    }

    /// <summary>An age for reading from across a room: 5 s steps under a minute, then minutes, then hours.</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        if (age < TimeSpan.FromMinutes(1)) return $"{(int)age.TotalSeconds / 5 * 5} s";
        if (age < TimeSpan.FromHours(1)) return $"{(int)age.TotalMinutes} min";
        return $"{(int)age.TotalHours} h {age.Minutes:00} min";
    }

    /// <summary>A duration: "45 s", "12 min", "1 h 05 min".</summary>
    public static string Span(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        if (span < TimeSpan.FromMinutes(1)) return $"{(int)span.TotalSeconds} s";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes} min";
        return $"{(int)span.TotalHours} h {span.Minutes:00} min";
    }

    private static string? Sparkline(IReadOnlyList<WallSample> samples, DateTime nowUtc)
    {
        if (samples.Count < 2) return null;
        var from = nowUtc - WallQueries.SparklineSpan;
        var max = Math.Max(1, samples.Max(s => s.LatencyMs));
        return string.Join(' ', samples.Select(s =>
        {
            var x = Math.Clamp((s.AtUtc - from) / WallQueries.SparklineSpan * 100, 0, 100);
            var y = 23 - (double)s.LatencyMs / max * 22;
            return string.Create(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#}");
        }));
    }
}

/// <summary>
/// The banner's summary of the pool. What needs a person comes first, named: "1 HUNG · Env 3 — 1 needs attention · Env 5 —
/// 2 running · 2 free"; then the counts ("3 free · 1 running · 1 quarantined") with sick environments appended.
/// </summary>
public sealed record WallSummary(IReadOnlyList<string> Hung, IReadOnlyList<string> Attention, int Free, int Running, int CleaningUp, int Quarantined,
    IReadOnlyList<string> Sick)
{
    public static WallSummary From(IReadOnlyCollection<WallTileModel> tiles)
    {
        var calm = tiles.Where(t => !t.Severity.IsAlarm()).ToList();
        return new(
            tiles.Where(t => t.Severity == WallSeverity.Hung).Select(t => t.Name).ToList(),
            tiles.Where(t => t.Severity == WallSeverity.Attention).Select(t => t.Name).ToList(),
            calm.Count(t => t.State == EnvironmentState.Available),
            calm.Count(t => t.State == EnvironmentState.Leased),
            calm.Count(t => t.State == EnvironmentState.CleaningUp),
            calm.Count(t => t.State == EnvironmentState.Quarantined),
            calm.Where(t => t.State != EnvironmentState.Quarantined && t.Health is HealthStatus.Unhealthy or HealthStatus.Degraded)
                .Select(t => $"{t.Name} {t.Health.ToString().ToLowerInvariant()}").ToList());
    }

    public string Text
    {
        get
        {
            var groups = new List<string>();
            if (Hung.Count > 0) groups.Add(string.Join(" · ", [$"{Hung.Count} HUNG", .. Hung]));
            if (Attention.Count > 0) groups.Add(string.Join(" · ", [$"{Attention.Count} needs attention", .. Attention]));
            var parts = new List<string> { $"{Free} free", $"{Running} running" };
            if (CleaningUp > 0) parts.Add($"{CleaningUp} cleaning up");
            if (Quarantined > 0) parts.Add($"{Quarantined} quarantined");
            parts.AddRange(Sick);
            groups.Add(string.Join(" · ", parts));
            return string.Join(" — ", groups);
        }
    }

    /// <summary>alarm when a person must act; bad when something is unhealthy or quarantined; warn when degraded; ok otherwise.</summary>
    public string Tone => Hung.Count + Attention.Count > 0 ? "alarm"
        : Quarantined > 0 || Sick.Any(s => s.EndsWith("unhealthy", StringComparison.Ordinal)) ? "bad"
        : Sick.Count > 0 ? "warn" : "ok";
}

/// <summary>How many columns and rows fill a 16:9 screen with roughly 8:5 tiles.</summary>
public static class WallGridLayout
{
    public static (int Columns, int Rows) For(int tiles)
    {
        if (tiles <= 1) return (1, 1);
        var columns = (int)Math.Ceiling(Math.Sqrt(tiles * (16.0 / 9.0) / 1.6));
        columns = Math.Min(columns, tiles);
        var rows = (int)Math.Ceiling(tiles / (double)columns);
        return (columns, rows);
    }

    /// <summary>The smallest and largest column count a screen may choose with <c>?cols=</c>.</summary>
    public const int MinColumns = 1, MaxColumns = 12;

    /// <summary>From this many rows on (about 50 tiles) the wall is crowded: thinner gaps, frames and banner.</summary>
    public const int CrowdedRows = 7;

    public static (int Columns, int Rows) For(int tiles, int? columns) => columns is { } chosen ? ForColumns(tiles, chosen) : For(tiles);

    /// <summary>With the columns chosen for the screen (held to 1–12 and to the number of tiles).</summary>
    public static (int Columns, int Rows) ForColumns(int tiles, int columns)
    {
        columns = Math.Clamp(columns, MinColumns, MaxColumns);
        columns = Math.Max(1, Math.Min(columns, tiles));
        return (columns, Math.Max(1, (int)Math.Ceiling(tiles / (double)columns)));
    }
}
