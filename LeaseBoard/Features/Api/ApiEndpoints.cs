using System.ComponentModel;
using System.Security.Claims;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.SignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Api;

/// <summary>
/// <c>/api/v1</c>: the booking operations for scripts and pipelines, through the same
/// <see cref="BookingService"/> as the UI. Every refusal is an RFC 9457 problem with a sentence.
/// </summary>
public static class ApiEndpoints
{
    public const string ReadPolicy = "api:read";
    public const string BookPolicy = "api:book";
    public const string RateLimitPolicy = "api:per-token";
    private const int MaxWaitSeconds = 60;

    public static RouteGroupBuilder MapReservationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(ReadPolicy).RequireRateLimiting(RateLimitPolicy).WithTags("LeaseBoard API")
            .ProducesProblem(401).ProducesProblem(429);

        api.MapGet("/environments", async (ApiQueries queries, CancellationToken ct) => TypedResults.Ok(await queries.EnvironmentsAsync(ct)))
            .WithSummary("Every environment with its state, health, current lease and next reservation.");

        api.MapGet("/reservations", async Task<IResult> (ApiQueries queries, ClaimsPrincipal user, string? environment,
                [Description("Reservations ending after this time, with an offset or Z (2026-12-01T00:00:00Z).")] string? from,
                [Description("Reservations starting before this time, with an offset or Z.")] string? to, bool? mine,
                int? skip, int? take, CancellationToken ct) =>
            {
                DateTime? fromUtc = null, toUtc = null;
                if (from is not null && ApiInput.ParseTime("from", from) is var (f, fromError))
                {
                    if (fromError is not null) return BadInput("from", fromError);
                    fromUtc = f;
                }
                if (to is not null && ApiInput.ParseTime("to", to) is var (t, toError))
                {
                    if (toError is not null) return BadInput("to", toError);
                    toUtc = t;
                }
                return TypedResults.Ok(await queries.ReservationsAsync(environment, fromUtc, toUtc, mine == true ? user.ToActor().Id : null,
                    Math.Max(0, skip ?? 0), Math.Clamp(take ?? 50, 1, 200), ct));
            })
            .ProducesProblem(400)
            .WithSummary("Reservations, filtered by environment, time range and mine; paged (take ≤ 200).");

        api.MapGet("/reservations/{id:int}", GetAsync)
            .WithSummary("A reservation with its run. With waitForChangeFrom=<state>&timeout=<s ≤ 60> the call waits until the state differs (long poll).")
            .ProducesProblem(404);

        api.MapPost("/reservations", CreateAsync).RequireAuthorization(BookPolicy)
            .WithSummary("Books an environment (or any) at a start (or the earliest free slot). Idempotency-Key makes a retry safe.")
            .ProducesProblem(400).ProducesProblem(409).ProducesProblem(422).ProducesProblem(403).ProducesProblem(413);

        api.MapPatch("/reservations/{id:int}", ChangeAsync).RequireAuthorization(BookPolicy)
            .WithSummary("Moves, resizes or extends a reservation.").ProducesProblem(400).ProducesProblem(413).ProducesProblem(409).ProducesProblem(422).ProducesProblem(404);

        api.MapDelete("/reservations/{id:int}", async (int id, BookingService booking, ApiQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
                await Respond(await booking.CancelAsync(id, user.ToActor(), ct), queries, ct))
            .RequireAuthorization(BookPolicy).WithSummary("Cancels a scheduled reservation.");

        api.MapPost("/reservations/{id:int}/release", async (int id, BookingService booking, ApiQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
                await Respond(await booking.ReleaseAsync(id, user.ToActor(), ct), queries, ct))
            .RequireAuthorization(BookPolicy).WithSummary("Ends a running lease now: the test is stopped and the environment cleaned.");

        api.MapGet("/slots/next", async Task<IResult> (int duration, string? environment, BookingService booking, ApiQueries queries,
                IOptionsMonitor<BookingOptions> rules, CancellationToken ct) =>
            {
                if (BookingRules.CheckDuration(TimeSpan.FromMinutes(duration), rules.CurrentValue) is { } badDuration) return Problem(422, "Bad duration", badDuration);
                int? environmentId = null;
                if (environment is not null && environment != "any")
                    environmentId = await queries.EnvironmentIdAsync(environment, ct) ?? -1;
                if (environmentId == -1) return Problem(422, "Unknown environment", $"There is no environment '{environment}'.");
                var slot = await booking.NextFreeSlotAsync(TimeSpan.FromMinutes(duration), environmentId, null, ct);
                return slot is null
                    ? Problem(404, "No free slot", $"No free slot of {duration} minutes within the booking horizon ({BookingRules.Describe(rules.CurrentValue.Horizon)}).")
                    : TypedResults.Ok(new SlotDto(slot.EnvironmentKey, slot.StartUtc, slot.EndUtc));
            })
            .WithSummary("The earliest free slot of a duration (minutes), on one environment or any.");

        api.MapPost("/admin/environments/{key}/actions", async Task<IResult> (string key, AdminActionBody body, Admin.AdminService admin, ApiQueries queries,
                ClaimsPrincipal user, CancellationToken ct) =>
            {
                if (await queries.EnvironmentIdAsync(key, ct) is not { } environmentId) return Problem(404, "Not found", $"There is no environment '{key}'.");
                if (body.Action is not (Admin.AdminActions.ForceRelease or Admin.AdminActions.Quarantine or Admin.AdminActions.Return
                    or Admin.AdminActions.CheckHealth or Admin.AdminActions.Cleanup))
                    return Problem(422, "Unknown action", "action must be force-release, quarantine, return, check-health or cleanup.");
                // The admin service checks the role itself: a token of a non-admin is refused there and nothing changes.
                var result = await Admin.AdminActionRunner.RunAsync(admin, user.ToActor(), environmentId,
                    new Admin.AdminActionRequest(body.Action, body.Reason, body.AndForceRelease, body.EvenIfUnhealthy));
                return result.Outcome switch
                {
                    Admin.AdminOutcome.Done => TypedResults.Ok(new { result.Message }),
                    Admin.AdminOutcome.Forbidden => Problem(403, "Admins only", "Only an admin token (scope admin) whose owner is still an admin may do this."),
                    Admin.AdminOutcome.NotFound => Problem(404, "Not found", result.Message),
                    Admin.AdminOutcome.Refused => Problem(409, "Refused", result.Message),
                    _ => Problem(422, "Invalid request", result.Message),
                };
            })
            .RequireAuthorization(BookPolicy)
            .WithSummary("Admin operations on an environment (force-release, quarantine, return, check-health, cleanup), for admin tokens (scope admin) of current admins.");

        api.MapQueueApi();
        return api;
    }

    private static async Task<IResult> GetAsync(int id, ApiQueries queries, BoardEvents events, TimeProvider clock, string? waitForChangeFrom, int? timeout,
        CancellationToken ct)
    {
        var reservation = await queries.ReservationAsync(id, ct);
        if (reservation is null) return Problem(404, "Not found", $"Reservation {id} does not exist.");
        if (waitForChangeFrom is null) return TypedResults.Ok(reservation);
        if (!Enum.GetNames<ReservationState>().Contains(waitForChangeFrom, StringComparer.OrdinalIgnoreCase)
            || !Enum.TryParse<ReservationState>(waitForChangeFrom, ignoreCase: true, out var from))
            return Problem(422, "Unknown state", $"waitForChangeFrom must be one of {string.Join(", ", Enum.GetNames<ReservationState>())}.");

        // Long poll: wake on any event about this reservation, re-read, answer as soon as the state differs or the wait ends.
        var wait = TimeSpan.FromSeconds(Math.Clamp(timeout ?? 30, 1, MaxWaitSeconds));
        using var deadline = new CancellationTokenSource(wait, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var changed = new SemaphoreSlim(0);
        using var subscription = events.Subscribe(e =>
        {
            if (e is ReservationChanged { ReservationId: var r } && r == id || e is RunProgressed { ReservationId: var p } && p == id) changed.Release();
            return Task.CompletedTask;
        });
        while (reservation!.State == from)
        {
            try
            {
                await changed.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                break;
            }
            reservation = await queries.ReservationAsync(id, ct);
        }
        return TypedResults.Ok(reservation);
    }

    private static async Task<IResult> CreateAsync(CreateReservationRequest body, BookingService booking, ApiQueries queries, ClaimsPrincipal user,
        IOptionsMonitor<BookingOptions> rules, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is { Length: > 100 } || idempotencyKey is { Length: 0 })
            return Problem(422, "Bad Idempotency-Key", "An Idempotency-Key has 1 to 100 characters (a UUID is a good choice).");
        if (!Enum.IsDefined(body.TestKind)) return BadInput("testKind", $"testKind must be one of {string.Join(", ", Enum.GetNames<TestKind>())}.");
        // Checked here, before an "earliest" search for a slot of that length; the booking service checks the times again as it books.
        var duration = TimeSpan.FromMinutes(body.DurationMinutes);
        if (BookingRules.CheckDuration(duration, rules.CurrentValue) is { } badDuration) return Problem(422, "Bad duration", badDuration);

        int? environmentId = null;
        if (!string.Equals(body.Environment, "any", StringComparison.OrdinalIgnoreCase))
        {
            environmentId = await queries.EnvironmentIdAsync(body.Environment, ct);
            if (environmentId is null) return Problem(422, "Unknown environment", $"There is no environment '{body.Environment}'; use a key from GET /api/v1/environments or \"any\".");
        }

        var requestedEnvironment = environmentId; // before "earliest" picks a lane for "any"
        DateTime start;
        var explicitStart = !string.Equals(body.Start, "earliest", StringComparison.OrdinalIgnoreCase);
        if (!explicitStart)
        {
            var slot = await booking.NextFreeSlotAsync(duration, environmentId, null, ct);
            if (slot is null) return Problem(409, "No free slot", "No free slot of that length within the booking horizon.");
            (environmentId, start) = (slot.EnvironmentId, slot.StartUtc);
        }
        else if (ApiInput.ParseTime("start", body.Start) is var (parsed, error) && error is not null)
            return BadInput("start", error + " Or send \"earliest\".");
        else
            start = parsed;

        var result = await booking.BookAsync(new BookingRequest(environmentId, start, duration, body.Title, body.TestKind, body.TestSpec, idempotencyKey),
            WarmUpToken.Rehearsing(user.ToActor(), user), ct);
        if (result.Replayed && !SameBooking(result.Reservation!, body, requestedEnvironment, explicitStart ? start : null, duration))
            return Problem(422, "Idempotency-Key reused",
                $"This Idempotency-Key was already used for another request (reservation {result.Reservation!.Id}); send a new key for a new booking.");
        return await Respond(result, queries, ct, created: true);
    }

    /// <summary>
    /// Whether a replayed reservation is what this body asks for: a key sent again with another body is a client
    /// bug, not a retry. "any" and "earliest" match whatever lane and start the first request got.
    /// </summary>
    private static bool SameBooking(Reservation booked, CreateReservationRequest body, int? environmentId, DateTime? start, TimeSpan duration) =>
        (environmentId is null || booked.EnvironmentId == environmentId)
        && (start is null || booked.StartUtc == start)
        && booked.EndUtc - booked.StartUtc == duration
        && booked.Title == (body.Title ?? "").Trim() && booked.TestKind == body.TestKind && booked.TestSpec == (body.TestSpec?.Trim() ?? "");

    private static async Task<IResult> ChangeAsync(int id, ChangeReservationRequest body, BookingService booking, ApiQueries queries, ClaimsPrincipal user,
        IOptionsMonitor<BookingOptions> rules, CancellationToken ct)
    {
        DateTime? startUtc = null, endUtc = null;
        if (body.StartUtc is not null && ApiInput.ParseTime("startUtc", body.StartUtc) is var (s, startError))
        {
            if (startError is not null) return BadInput("startUtc", startError);
            startUtc = s;
        }
        if (body.EndUtc is not null && ApiInput.ParseTime("endUtc", body.EndUtc) is var (e, endError))
        {
            if (endError is not null) return BadInput("endUtc", endError);
            endUtc = e;
        }
        // No extension longer than the longest reservation can be right, and bounding it keeps the date arithmetic in range.
        var longest = (int)rules.CurrentValue.MaxDuration.TotalMinutes;
        if (body.ExtendMinutes is < 0 or > 0 && Math.Abs((long)body.ExtendMinutes.Value) > longest)
            return BadInput("extendMinutes", $"extendMinutes must lie between -{longest} and {longest}.");
        var current = await queries.ReservationAsync(id, ct);
        if (current is null) return Problem(404, "Not found", $"Reservation {id} does not exist.");
        var environmentId = await queries.EnvironmentIdAsync(body.Environment ?? current.Environment, ct);
        if (environmentId is null) return Problem(422, "Unknown environment", $"There is no environment '{body.Environment}'.");
        var start = startUtc ?? current.StartUtc;
        var end = endUtc ?? (startUtc is not null ? start + (current.EndUtc - current.StartUtc) : current.EndUtc);
        if (body.ExtendMinutes is { } extend) end = end.AddMinutes(extend);
        return await Respond(await booking.MoveAsync(id, environmentId.Value, start, end, user.ToActor(), ct), queries, ct);
    }

    private static async Task<IResult> Respond(BookingResult result, ApiQueries queries, CancellationToken ct, bool created = false)
    {
        switch (result.Outcome)
        {
            case BookingOutcome.Booked or BookingOutcome.Moved or BookingOutcome.Cancelled or BookingOutcome.Released:
                // A new booking is answered from what is in hand (it has no run yet); other outcomes re-read what changed.
                var dto = result is { Outcome: BookingOutcome.Booked, Replayed: false, Reservation.Environment: not null }
                    ? ApiQueries.ToDto(result.Reservation)
                    : await queries.ReservationAsync(result.Reservation!.Id, ct);
                return created && !result.Replayed
                    ? TypedResults.Created($"/api/v1/reservations/{dto!.Id}", dto)
                    : TypedResults.Ok(dto);
            case BookingOutcome.Conflict:
                return TypedResults.Problem(new ProblemDetails
                {
                    Status = 409, Title = "Slot taken", Detail = result.Message,
                    Extensions =
                    {
                        ["conflict"] = result.Conflict is { } c ? new SlotDto(c.Slot.EnvironmentKey, c.Slot.StartUtc, c.Slot.EndUtc) : null,
                        ["nextFreeSlot"] = result.Suggestion is { } s ? new SlotDto(s.EnvironmentKey, s.StartUtc, s.EndUtc) : null,
                        ["freeSlots"] = result.Alternatives.Select(a => new SlotDto(a.EnvironmentKey, a.StartUtc, a.EndUtc)).ToList(),
                    },
                });
            case BookingOutcome.LimitReached:
                return Problem(403, "Limit reached", result.Message);
            case BookingOutcome.Forbidden:
                return Problem(403, "Not yours", result.Message);
            case BookingOutcome.NotFound:
                return Problem(404, "Not found", result.Message);
            default:
                return TypedResults.Problem(new ProblemDetails
                {
                    Status = 422, Title = "Invalid request", Detail = result.Message,
                    Extensions = { ["nextFreeSlot"] = result.Suggestion is { } instead ? new SlotDto(instead.EnvironmentKey, instead.StartUtc, instead.EndUtc) : null },
                });
        }
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(detail, statusCode: status, title: title);

    /// <summary>A value the API cannot take (no offset, out of range, unknown): 400, naming the field.</summary>
    private static ProblemHttpResult BadInput(string field, string detail) =>
        TypedResults.Problem(detail, statusCode: 400, title: "Bad request", extensions: new Dictionary<string, object?> { ["field"] = field });
}
