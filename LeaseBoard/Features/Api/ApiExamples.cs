using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LeaseBoard.Features.Api;

/// <summary>Examples in the OpenAPI document: a booking request, and the problem a refused one gets.</summary>
internal static class ApiExamples
{
    private static readonly JsonNode BookingRequest = JsonNode.Parse("""
        { "environment": "any", "start": "earliest", "durationMinutes": 45, "title": "Nightly chaos", "testKind": "Chaos", "testSpec": "suite=checkout" }
        """)!;

    private static readonly JsonNode Conflict = JsonNode.Parse("""
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10", "title": "Slot taken", "status": 409,
          "detail": "Env 2 is taken 2026-12-01 14:00 UTC–2026-12-01 15:00 UTC by 'Load test' (Ana), with a 10 minutes changeover after it. Next free: Env 1 2026-12-01 14:00 UTC–2026-12-01 15:00 UTC.",
          "conflict": { "environment": "env-2", "startUtc": "2026-12-01T14:00:00Z", "endUtc": "2026-12-01T15:00:00Z" },
          "nextFreeSlot": { "environment": "env-1", "startUtc": "2026-12-01T14:00:00Z", "endUtc": "2026-12-01T15:00:00Z" }
        }
        """)!;

    private static readonly JsonNode Invalid = JsonNode.Parse("""
        { "type": "https://tools.ietf.org/html/rfc4918#section-11.2", "title": "Invalid request", "status": 422,
          "detail": "Start and end must fall on the 5-minute grid (for example 14:00, 14:05, 14:10)." }
        """)!;

    private static readonly JsonNode QueueRequest = JsonNode.Parse("""
        { "durationMinutes": 45, "title": "Nightly chaos", "testKind": "Chaos", "testSpec": "suite=checkout", "environments": ["env-1", "env-3"],
          "mustFinishBy": "2026-12-01T18:00:00Z" }
        """)!;

    private static readonly JsonNode QueueInvalid = JsonNode.Parse("""
        { "type": "https://tools.ietf.org/html/rfc4918#section-11.2", "title": "Invalid request", "status": 422,
          "detail": "Must-finish-by 2026-12-01 14:30 UTC cannot be met: a 45 minutes test started at the earliest would end 2026-12-01 14:47 UTC." }
        """)!;

    private static readonly JsonNode QueueEntry = JsonNode.Parse("""
        { "id": 7, "owner": "Ana", "title": "Nightly chaos", "testKind": "Chaos", "testSpec": "suite=checkout", "durationMinutes": 45,
          "environments": ["env-1", "env-3"], "notBeforeUtc": null, "mustFinishByUtc": "2026-12-01T18:00:00Z", "createdUtc": "2026-12-01T14:02:11Z",
          "state": "Waiting", "position": 2, "estimatedStartUtc": "2026-12-01T15:10:00Z", "reservationId": null, "placedUtc": null, "outcome": null }
        """)!;

    public static Task AddAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.HttpMethod == "POST" && context.Description.RelativePath == "api/v1/queue")
        {
            if (operation.RequestBody?.Content?.TryGetValue("application/json", out var body) == true) body.Example = QueueRequest.DeepClone();
            if (operation.Responses?.TryGetValue("201", out var created) == true && created.Content?.TryGetValue("application/json", out var entry) == true)
                entry.Example = QueueEntry.DeepClone();
            if (operation.Responses?.TryGetValue("422", out var refused) == true && refused.Content?.TryGetValue("application/problem+json", out var problem) == true)
                problem.Example = QueueInvalid.DeepClone();
            return Task.CompletedTask;
        }
        if (context.Description.HttpMethod != "POST" || context.Description.RelativePath != "api/v1/reservations") return Task.CompletedTask;
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var request) == true) request.Example = BookingRequest.DeepClone();
        foreach (var (status, example) in new[] { ("409", Conflict), ("422", Invalid) })
            if (operation.Responses?.TryGetValue(status, out var response) == true && response.Content?.TryGetValue("application/problem+json", out var media) == true)
                media.Example = example.DeepClone();
        return Task.CompletedTask;
    }
}
