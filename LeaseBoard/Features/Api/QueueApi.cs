using System.ComponentModel;
using System.Security.Claims;
using LeaseBoard.Domain;
using LeaseBoard.Features.Queue;
using LeaseBoard.Features.SignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LeaseBoard.Features.Api;

/// <summary>POST /api/v1/queue. Times are ISO 8601 with an offset or Z; see <see cref="ApiInput.TimeRule"/>.</summary>
public sealed record CreateQueueEntryRequest
{
    [Description("Minutes, within the booking limits (LeaseBoard:Booking:MinDuration to MaxDuration) and a multiple of the grid.")]
    public int DurationMinutes { get; init; }

    public string Title { get; init; } = "";
    public TestKind TestKind { get; init; } = TestKind.Load;
    public string TestSpec { get; init; } = "";

    [Description("Environment keys it may run on (env-1, env-3); empty or missing means any environment.")]
    public IReadOnlyList<string>? Environments { get; init; }

    [Description("Not placed before this time, with an offset or Z (2026-12-01T14:00:00Z); missing means now.")]
    public string? NotBefore { get; init; }

    [Description("Must end by this time, with an offset or Z; an entry that can no longer make it expires.")]
    public string? MustFinishBy { get; init; }
}

public sealed record QueueEntryDto(
    int Id, string Owner, string Title, TestKind TestKind, string TestSpec, int DurationMinutes, IReadOnlyList<string>? Environments,
    DateTime? NotBeforeUtc, DateTime? MustFinishByUtc, DateTime CreatedUtc, QueueEntryState State, int? Position, DateTime? EstimatedStartUtc,
    int? ReservationId, DateTime? PlacedUtc, string? Outcome);

/// <summary>
/// <c>/api/v1/queue</c>: "run as soon as possible" for scripts and pipelines, through the same <see cref="QueueService"/> as
/// the calendar. A queued entry is placed into the first gap that fits; poll GET /queue/{id} until its state is Placed
/// (then follow its reservation) or Expired.
/// </summary>
public static class QueueApi
{
    public static void MapQueueApi(this RouteGroupBuilder api)
    {
        api.MapPost("/queue", CreateAsync).RequireAuthorization(ApiEndpoints.BookPolicy)
            .WithSummary("Queues a test to run as soon as a gap of its duration opens on an allowed environment. Idempotency-Key makes a retry safe.")
            .Produces<QueueEntryDto>(201).ProducesProblem(400).ProducesProblem(403).ProducesProblem(413).ProducesProblem(422);

        api.MapGet("/queue", async (QueueService queue, ApiQueries queries, ClaimsPrincipal user, bool? all, CancellationToken ct) =>
            {
                var actor = user.ToActor();
                var entries = await queue.ListAsync(all == true && actor.IsAdmin ? null : actor.Id, ct);
                var keys = await EnvironmentKeysAsync(queries, ct);
                return TypedResults.Ok(entries.Select(e => ToDto(e, keys)).ToList());
            })
            .WithSummary("My queue entries: the waiting ones in queue order with position and estimated start, then the recently finished ones. Admins may ask for all=true.");

        api.MapGet("/queue/{id:int}", async Task<IResult> (int id, QueueService queue, ApiQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
                await RespondAsync(await queue.GetAsync(id, user.ToActor(), ct), queries, ct))
            .WithSummary("A queue entry: its state, position and estimated start while it waits, its reservation once placed.")
            .Produces<QueueEntryDto>().ProducesProblem(403).ProducesProblem(404);

        api.MapDelete("/queue/{id:int}", async Task<IResult> (int id, QueueService queue, ApiQueries queries, ClaimsPrincipal user, CancellationToken ct) =>
                await RespondAsync(await queue.CancelAsync(id, user.ToActor(), ct), queries, ct))
            .RequireAuthorization(ApiEndpoints.BookPolicy)
            .WithSummary("Takes a waiting entry out of the queue (its owner or an admin).")
            .Produces<QueueEntryDto>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<IResult> CreateAsync(CreateQueueEntryRequest body, QueueService queue, ApiQueries queries, ClaimsPrincipal user,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is { Length: > 100 } || idempotencyKey is { Length: 0 })
            return Problem(422, "Bad Idempotency-Key", "An Idempotency-Key has 1 to 100 characters (a UUID is a good choice).");
        if (!Enum.IsDefined(body.TestKind)) return BadInput("testKind", $"testKind must be one of {string.Join(", ", Enum.GetNames<TestKind>())}.");
        DateTime? notBefore = null, finishBy = null;
        if (body.NotBefore is not null)
        {
            var (at, error) = ApiInput.ParseTime("notBefore", body.NotBefore);
            if (error is not null) return BadInput("notBefore", error);
            notBefore = at;
        }
        if (body.MustFinishBy is not null)
        {
            var (at, error) = ApiInput.ParseTime("mustFinishBy", body.MustFinishBy);
            if (error is not null) return BadInput("mustFinishBy", error);
            finishBy = at;
        }
        if (body.DurationMinutes is <= 0 or > 24 * 60) return BadInput("durationMinutes", "durationMinutes must be a positive number of minutes within the booking limits.");
        List<int>? environments = null;
        if (body.Environments is { Count: > 0 } keys)
        {
            environments = [];
            foreach (var key in keys)
            {
                if (await queries.EnvironmentIdAsync(key, ct) is not { } id)
                    return Problem(422, "Unknown environment", $"There is no environment '{key}'; use keys from GET /api/v1/environments, or leave environments out for any.");
                environments.Add(id);
            }
        }
        var result = await queue.EnqueueAsync(new QueueRequest(body.Title, body.TestKind, body.TestSpec, TimeSpan.FromMinutes(body.DurationMinutes),
            environments, notBefore, finishBy, idempotencyKey), user.ToActor(), ct);
        return await RespondAsync(result, queries, ct, created: true);
    }

    private static async Task<IResult> RespondAsync(QueueResult result, ApiQueries queries, CancellationToken ct, bool created = false)
    {
        switch (result.Outcome)
        {
            case QueueOutcome.Queued or QueueOutcome.Cancelled or QueueOutcome.Found:
                var dto = ToDto(result.Entry!, await EnvironmentKeysAsync(queries, ct));
                return created && !result.Replayed ? TypedResults.Created($"/api/v1/queue/{dto.Id}", dto) : TypedResults.Ok(dto);
            case QueueOutcome.LimitReached:
                return Problem(403, "Limit reached", result.Message);
            case QueueOutcome.Forbidden:
                return Problem(403, "Not yours", result.Message);
            case QueueOutcome.NotFound:
                return Problem(404, "Not found", result.Message);
            default:
                return result.Entry is not null ? Problem(409, "Not waiting", result.Message) : Problem(422, "Invalid request", result.Message);
        }
    }

    private static Task<Dictionary<int, string>> EnvironmentKeysAsync(ApiQueries queries, CancellationToken ct) => queries.EnvironmentKeysAsync(ct);

    private static QueueEntryDto ToDto(QueueEntryView e, IReadOnlyDictionary<int, string> keys) => new(
        e.Id, e.OwnerName, e.Title, e.TestKind, e.TestSpec, (int)e.Duration.TotalMinutes,
        e.EnvironmentIds?.Select(id => keys.TryGetValue(id, out var key) ? key : id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
        e.NotBeforeUtc, e.MustFinishByUtc, e.CreatedUtc, e.State, e.Position, e.EstimatedStartUtc, e.ReservationId, e.PlacedUtc, e.Outcome);

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(detail, statusCode: status, title: title);

    private static ProblemHttpResult BadInput(string field, string detail) =>
        TypedResults.Problem(detail, statusCode: 400, title: "Bad request", extensions: new Dictionary<string, object?> { ["field"] = field });
}
