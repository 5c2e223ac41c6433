using System.Globalization;
using System.Text;

namespace LeaseBoard.Features.Admin;

/// <summary>
/// CSV of audit rows (RFC 4180 quoting). Cells a spreadsheet would read as a formula — starting with
/// <c>= + - @</c>, tab or carriage return — get a leading apostrophe, so an audit reason cannot run code
/// in the admin's spreadsheet.
/// </summary>
public static class AuditCsv
{
    public const string Header = "id,at_utc,actor,action,environment,reservation,details";

    public static string Line(AuditRow row) => string.Join(',',
        row.Id.ToString(CultureInfo.InvariantCulture),
        row.AtUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        Cell(row.Actor), Cell(row.Action), Cell(row.EnvironmentKey ?? ""),
        row.ReservationId?.ToString(CultureInfo.InvariantCulture) ?? "",
        Cell(row.Details));

    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        if (value.IndexOfAny([',', '"', '\n', '\r']) < 0) return value;
        return new StringBuilder(value.Length + 2).Append('"').Append(value.Replace("\"", "\"\"")).Append('"').ToString();
    }
}
