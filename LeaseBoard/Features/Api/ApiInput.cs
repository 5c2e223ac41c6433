using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace LeaseBoard.Features.Api;

/// <summary>
/// The API's one rule for times, and its limit on request bodies. A time is ISO 8601 with an offset or Z: a time
/// without one would mean the server's local time to one endpoint and UTC to another, so it is refused, naming the field.
/// </summary>
public static class ApiInput
{
    public const string TimeRule = "Times are ISO 8601 with an offset or Z (2026-12-01T14:00:00Z, 2026-12-01T16:00:00+02:00); a time without one is refused with 400.";
    public const int MaxBodyBytes = 64 * 1024;

    // Far enough from DateTime's ends that adding a duration or an extension can never overflow.
    private static readonly DateTime Earliest = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Latest = new(3000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The time in UTC, or the sentence why <paramref name="text"/> is not one.</summary>
    public static (DateTime Utc, string? Error) ParseTime(string field, string text)
    {
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var withOffset))
            return (default, $"{field} is not a time: use ISO 8601 with an offset or Z, such as 2026-12-01T14:00:00Z.");
        if (parsed.Kind == DateTimeKind.Unspecified)
            return (default, $"{field} has no offset: add Z for UTC or an offset such as +02:00 (2026-12-01T14:00:00Z).");
        var utc = withOffset.UtcDateTime;
        return utc < Earliest || utc >= Latest ? (default, $"{field} lies outside the years 1970 to 2999.") : (utc, null);
    }

    /// <summary>Refuses an API request body over <see cref="MaxBodyBytes"/> with a 413 problem; a body of unknown length is read up to the limit first.</summary>
    public static async Task LimitBodyAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            await TooLarge(context);
            return;
        }
        if (request.ContentLength is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBodyBytes)
                {
                    await TooLarge(context);
                    return;
                }
            }
            buffer.Position = 0;
            request.Body = buffer;
            request.ContentLength = buffer.Length;
        }
        await next(context);
    }

    private static Task TooLarge(HttpContext context) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
            detail: $"An API request body may have at most {MaxBodyBytes / 1024} kB.").ExecuteAsync(context);
}
