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
