using System.Globalization;

namespace LeaseBoard.Domain;

/// <summary>How instants read in messages, audit entries and logs: one invariant format, whatever the server's culture.</summary>
public static class TimeText
{
    public static string Utc(DateTime instant) => instant.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
