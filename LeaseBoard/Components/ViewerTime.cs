using Microsoft.JSInterop;

namespace LeaseBoard.Components;

/// <summary>
/// The viewer's time zone, read once per circuit from the browser. Times are stored in UTC and shown
/// (and typed) in this zone; until the browser has answered, <see cref="IsKnown"/> is false.
/// </summary>
public sealed class ViewerTime(IJSRuntime js)
{
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;
    public bool IsKnown { get; private set; }
    public event Action? Changed;

    public async Task LoadAsync()
    {
        if (IsKnown) return;
        try
        {
            var id = await js.InvokeAsync<string>("leaseBoard.timeZone");
            Zone = TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
        }
        catch (JSException)
        {
            Zone = TimeZoneInfo.Utc;
        }
        IsKnown = true;
        Changed?.Invoke();
    }

    /// <summary>For tests and for a server-side default.</summary>
    public void Use(TimeZoneInfo zone)
    {
        Zone = zone;
        IsKnown = true;
        Changed?.Invoke();
    }

    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    /// <summary>Local wall-clock time to UTC; null for a time that does not exist locally (the hour skipped by a DST change).</summary>
    public DateTime? ToUtc(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(unspecified)) return null;
        return TimeZoneInfo.ConvertTimeToUtc(unspecified, Zone);
    }

    /// <summary>
    /// The instants a local wall-clock time stands for, earliest first: none in a spring-forward gap, two in the
    /// hour a fall-back repeats (e.g. 01:30 EDT and 01:30 EST), otherwise one.
    /// </summary>
    public IReadOnlyList<LocalTimeChoice> ChoicesAt(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(unspecified)) return [];
        var offsets = Zone.IsAmbiguousTime(unspecified) ? Zone.GetAmbiguousTimeOffsets(unspecified) : [Zone.GetUtcOffset(unspecified)];
        return offsets.Select(offset => DateTime.SpecifyKind(unspecified - offset, DateTimeKind.Utc)).Order()
            .Select(utc => new LocalTimeChoice(Zone.GetUtcOffset(utc), utc, Label(unspecified, utc))).ToList();
    }

    /// <summary>
    /// A typed start to UTC. A time the clocks skip is refused with a sentence; a time that happens twice needs
    /// <paramref name="offset"/> (the one the viewer picked among <see cref="ChoicesAt"/>), or it is refused too.
    /// </summary>
    public bool TryToUtc(DateTime local, TimeSpan? offset, out DateTime utc, out string problem)
    {
        utc = default;
        problem = "";
        var choices = ChoicesAt(local);
        var day = local.ToString("ddd d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
        var time = local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        if (choices.Count == 0)
        {
            problem = $"{time} does not exist on {day} in {ZoneName}: the clocks go forward {Shift(local)} that night. Pick another start.";
            return false;
        }
        if (choices.Count == 1)
        {
            utc = choices[0].Utc;
            return true;
        }
        if (choices.FirstOrDefault(c => c.Offset == offset) is { } chosen)
        {
            utc = chosen.Utc;
            return true;
        }
        problem = $"{time} happens twice on {day} in {ZoneName} (the clocks go back {Shift(local)}). Choose {choices[0].Label} or {choices[1].Label}.";
        return false;
    }

    public TimeSpan OffsetAt(DateTime utc) => Zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    private string Label(DateTime local, DateTime utc)
    {
        var offset = Zone.GetUtcOffset(utc);
        var name = Zone.IsDaylightSavingTime(utc) ? Zone.DaylightName : Zone.StandardName;
        var abbreviation = Abbreviate(name);
        var utcOffset = $"UTC{(offset < TimeSpan.Zero ? "\u2212" : "+")}{Math.Abs(offset.Hours)}{(offset.Minutes != 0 ? $":{Math.Abs(offset.Minutes):00}" : "")}";
        var time = local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        return abbreviation is null ? $"{time} ({utcOffset})" : $"{time} {abbreviation} ({utcOffset})";
    }

    // "Eastern Daylight Time" -> "EDT", "British Summer Time" -> "BST"; names like "GMT+01:00" have no abbreviation worth showing.
    private static string? Abbreviate(string name)
    {
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length >= 2 && words.All(w => w.All(char.IsLetter)) ? string.Concat(words.Select(w => char.ToUpperInvariant(w[0]))) : null;
    }

    // How far the clocks move around a local time (an hour in most zones, 30 minutes on Lord Howe Island).
    private string Shift(DateTime local)
    {
        var around = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        var delta = (Zone.GetUtcOffset(around.AddHours(-6)) - Zone.GetUtcOffset(around.AddHours(6))).Duration();
        return delta == TimeSpan.FromHours(1) ? "an hour" : $"{delta.TotalMinutes:0} minutes";
    }

    public string Format(DateTime utc, string format = "ddd d MMM HH:mm") => ToLocal(utc).ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    public string Range(DateTime startUtc, DateTime endUtc)
    {
        var start = ToLocal(startUtc);
        var end = ToLocal(endUtc);
        var endFormat = start.Date == end.Date ? "HH:mm" : "ddd d MMM HH:mm";
        return $"{start.ToString("ddd d MMM HH:mm", System.Globalization.CultureInfo.InvariantCulture)}–{end.ToString(endFormat, System.Globalization.CultureInfo.InvariantCulture)}";
    }

    public string ZoneName => Zone.Id;
}

/// <summary>One instant a local time stands for, e.g. "01:30 EDT (UTC−4)".</summary>
public sealed record LocalTimeChoice(TimeSpan Offset, DateTime Utc, string Label);
