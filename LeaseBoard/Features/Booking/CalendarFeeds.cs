using IcalCalendar = Ical.Net.Calendar;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

using LeaseBoard.Features.Tokens;

namespace LeaseBoard.Features.Booking;

/// <summary>
/// iCalendar feeds that Outlook and Google subscribe to without signing in: the URL carries a token of
/// the <see cref="ApiScope.Feed"/> scope, which opens nothing but feeds and can be revoked on the Tokens page.
/// </summary>
public static class CalendarFeeds
{
    private static readonly TimeSpan History = TimeSpan.FromDays(30);

    /// <summary>The feeds' own rate limit: calendar apps poll every few minutes or hours, so this is generous for them.</summary>
    public const string RateLimitPolicy = "feeds:per-token";
    public const int RequestsPerMinute = 30;

    /// <summary>
    /// Per feed token (the calendar services fetch many users' feeds from a few addresses); a request
    /// without one counts against its address (the forwarded one, from a known proxy).
    /// </summary>
    public static string RateLimitKey(HttpContext http) =>
        http.Request.Query["token"].ToString() is { Length: > 0 } token ? "feed:" + token : "feed-anonymous:" + http.Connection.RemoteIpAddress;

    public static IEndpointRouteBuilder MapCalendarFeeds(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/feeds").AllowAnonymous().RequireRateLimiting(RateLimitPolicy).ExcludeFromDescription();
        feeds.MapGet("/mine.ics", async (string? token, ApiTokenService tokens, IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock, HttpContext http, CancellationToken ct) =>
        {
            if (await FeedTokenAsync(token, tokens, ct) is not { } owner) return Refused();
            var from = clock.GetUtcNow().UtcDateTime - History;
            await using var db = await dbs.CreateDbContextAsync(ct);
            var reservations = await db.Reservations.AsNoTracking().Include(r => r.Environment)
                .Where(r => r.OwnerId == owner.OwnerId && r.State != ReservationState.Cancelled && r.EndUtc > from).OrderBy(r => r.StartUtc).ToListAsync(ct);
            return Ics($"LeaseBoard: {owner.OwnerName}", reservations, http);
        });
        feeds.MapGet("/environments/{key}.ics", async (string key, string? token, ApiTokenService tokens, IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock,
            HttpContext http, CancellationToken ct) =>
        {
            if (await FeedTokenAsync(token, tokens, ct) is null) return Refused();
            var from = clock.GetUtcNow().UtcDateTime - History;
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environment = await db.Environments.AsNoTracking().FirstOrDefaultAsync(e => e.Key == key, ct);
            if (environment is null) return Results.Problem($"There is no environment '{key}'.", statusCode: 404, title: "Not found");
            var reservations = await db.Reservations.AsNoTracking().Include(r => r.Environment)
                .Where(r => r.EnvironmentId == environment.Id && r.State != ReservationState.Cancelled && r.EndUtc > from).OrderBy(r => r.StartUtc).ToListAsync(ct);
            return Ics($"LeaseBoard: {environment.Name}", reservations, http);
        });
        return app;
    }

    public static string FeedUrl(string baseUri, string token, string? environmentKey = null) =>
        $"{baseUri.TrimEnd('/')}/feeds/{(environmentKey is null ? "mine" : $"environments/{Uri.EscapeDataString(environmentKey)}")}.ics?token={Uri.EscapeDataString(token)}";

    private static async Task<ApiToken?> FeedTokenAsync(string? token, ApiTokenService tokens, CancellationToken ct) =>
        token is null ? null : await tokens.ValidateAsync(token, ct) is { Scope: ApiScope.Feed } valid ? valid : null;

    private static IResult Refused() =>
        Results.Problem("The feed URL's token is missing, unknown, revoked, expired or not a feed token. Copy a fresh URL from 'Subscribe' in LeaseBoard.",
            statusCode: 401, title: "Feed not available");

    private static IResult Ics(string name, IEnumerable<Reservation> reservations, HttpContext http)
    {
        var link = $"{http.Request.Scheme}://{http.Request.Host}/reservations/mine";
        var calendar = new IcalCalendar { ProductId = "-//LeaseBoard//Reservations//EN" };
        calendar.AddProperty("X-WR-CALNAME", Plain(name));
        foreach (var r in reservations)
        {
            var environment = Plain(r.Environment?.Name);
            calendar.Events.Add(new CalendarEvent
            {
                Uid = $"reservation-{r.Id}@leaseboard",
                Summary = $"{Plain(r.Title)} ({environment})",
                Location = r.Environment is null ? null : environment,
                Description = $"{r.TestKind} test on {environment} by {Plain(r.OwnerName)}. State: {r.State}.{(r.Outcome is null ? "" : " " + Plain(r.Outcome))}\n{link}",
                Start = new CalDateTime(DateTime.SpecifyKind(r.StartUtc, DateTimeKind.Utc)),
                End = new CalDateTime(DateTime.SpecifyKind(r.EndUtc, DateTimeKind.Utc)),
                Url = new Uri(link),
                Status = "CONFIRMED",
            });
        }
        return Results.Text(new CalendarSerializer().SerializeToString(calendar)!, "text/calendar; charset=utf-8");
    }

    /// <summary>
    /// Text for a calendar property with every control character (and Unicode line separator) made a space. New titles
    /// cannot hold them (<see cref="BookingRules.CheckText"/>), but rows stored before that rule, or written around it,
    /// must not put a raw NUL or BEL into a file that Outlook and Google parse.
    /// </summary>
    private static string Plain(string? text) =>
        text is null || !BookingRules.HasControlCharacter(text, allowLineBreaks: false)
            ? text ?? ""
            : string.Create(text.Length, text, (span, source) =>
            {
                for (var i = 0; i < source.Length; i++)
                    span[i] = char.IsControl(source[i]) || source[i] is '\u2028' or '\u2029' ? ' ' : source[i];
            });
}
