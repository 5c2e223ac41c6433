using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeaseBoard.Domain;
using LeaseBoard.Data;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Api;

public sealed class QueueApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private static readonly Actor Eve = new("local:eve", "Eve", false);
    private static readonly Actor Fay = new("local:fay", "Fay", false);

    private static object Entry(int minutes = 30, string? notBefore = null, string? mustFinishBy = null, string[]? environments = null, string title = "Queued soak") =>
        new { durationMinutes = minutes, title, testKind = "Soak", testSpec = "duration=5", environments, notBefore, mustFinishBy };

    [Fact]
    public async Task Queueing_answers_201_with_the_entry_and_it_is_placed_into_a_free_gap_which_get_shows()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        using var created = await api.PostAsJsonAsync("/api/v1/queue", Entry(environments: ["env-4"]));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var entry = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = entry.GetProperty("id").GetInt32();
        Assert.Equal($"/api/v1/queue/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal(("Eve", 30, "env-4"), (entry.GetProperty("owner").GetString(), entry.GetProperty("durationMinutes").GetInt32(),
            entry.GetProperty("environments")[0].GetString()));

        // The queue's trigger places it at once: env-4 is free now.
        var placed = await Eventually.MatchesAsync(async () => await api.GetFromJsonAsync<JsonElement>($"/api/v1/queue/{id}"),
            e => e.GetProperty("state").GetString() == "Placed", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100), "the entry placed");
        var reservationId = placed.GetProperty("reservationId").GetInt32();
        var reservation = await api.GetFromJsonAsync<JsonElement>($"/api/v1/reservations/{reservationId}");
        Assert.Equal(("env-4", "Queued soak"), (reservation.GetProperty("environment").GetString(), reservation.GetProperty("title").GetString()));

        var mine = await api.GetFromJsonAsync<JsonElement>("/api/v1/queue");
        Assert.Contains(mine.EnumerateArray(), e => e.GetProperty("id").GetInt32() == id);
    }

    [Fact]
    public async Task A_waiting_entry_has_a_position_and_only_its_owner_or_an_admin_may_see_or_cancel_it()
    {
        using var eve = host.Client(await host.TokenAsync(Eve));
        using var fay = host.Client(await host.TokenAsync(Fay));
        using var created = await eve.PostAsJsonAsync("/api/v1/queue", Entry(notBefore: ApiTestHost.At(2, 10)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var waiting = await eve.GetFromJsonAsync<JsonElement>($"/api/v1/queue/{id}");
        Assert.Equal("Waiting", waiting.GetProperty("state").GetString());
        Assert.True(waiting.GetProperty("position").GetInt32() >= 1);

        await AssertProblem(await fay.GetAsync($"/api/v1/queue/{id}"), HttpStatusCode.Forbidden);
        await AssertProblem(await fay.DeleteAsync($"/api/v1/queue/{id}"), HttpStatusCode.Forbidden);
        await AssertProblem(await eve.GetAsync("/api/v1/queue/987654"), HttpStatusCode.NotFound);
        await AssertProblem(await eve.DeleteAsync("/api/v1/queue/987654"), HttpStatusCode.NotFound);

        using var cancelled = await eve.DeleteAsync($"/api/v1/queue/{id}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("Cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await AssertProblem(await eve.DeleteAsync($"/api/v1/queue/{id}"), HttpStatusCode.Conflict);

        using var admin = host.Client(await host.AdminTokenAsync(new Actor("local:root", "Root", true)));
        using var fays = await fay.PostAsJsonAsync("/api/v1/queue", Entry(notBefore: ApiTestHost.At(3, 10)));
        var fayId = (await fays.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/queue/{fayId}")).StatusCode);
        var all = await admin.GetFromJsonAsync<JsonElement>("/api/v1/queue?all=true");
        Assert.Contains(all.EnumerateArray(), e => e.GetProperty("id").GetInt32() == fayId);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/queue/{fayId}")).StatusCode);
    }

    [Fact]
    public async Task Bad_input_answers_a_problem_naming_why_and_queues_nothing_and_no_token_answers_401()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        var before = (await api.GetFromJsonAsync<JsonElement>("/api/v1/queue")).GetArrayLength();
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(notBefore: "2026-12-01T14:00:00")), HttpStatusCode.BadRequest, "no offset");
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(mustFinishBy: "tomorrow")), HttpStatusCode.BadRequest, "not a time");
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(minutes: 10)), HttpStatusCode.UnprocessableEntity, "at least 20 minutes");
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(minutes: 33)), HttpStatusCode.UnprocessableEntity, "5-minute steps");
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(environments: ["env-99"])), HttpStatusCode.UnprocessableEntity, "no environment 'env-99'");
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(mustFinishBy: DateTime.UtcNow.AddMinutes(10).ToString("O"))), HttpStatusCode.UnprocessableEntity, "cannot be met");
        await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(title: "")), HttpStatusCode.UnprocessableEntity, "title");
        Assert.Equal(before, (await api.GetFromJsonAsync<JsonElement>("/api/v1/queue")).GetArrayLength());

        using var anonymous = host.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/queue", Entry())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/queue")).StatusCode);
    }

    [Fact]
    public async Task Queueing_a_title_with_nul_bel_or_a_tab_answers_422_with_the_sentence_and_queues_nothing()
    {
        using var api = host.Client(await host.TokenAsync(Fay));
        var before = (await api.GetFromJsonAsync<JsonElement>("/api/v1/queue")).GetArrayLength();

        foreach (var title in new[] { "\u0000", "Soak \u0007", "a\tb" })
            await AssertProblem(await api.PostAsJsonAsync("/api/v1/queue", Entry(title: title)), HttpStatusCode.UnprocessableEntity,
                "The title may not contain control characters such as tabs, line breaks or NUL.");

        Assert.Equal(before, (await api.GetFromJsonAsync<JsonElement>("/api/v1/queue")).GetArrayLength());
        await using var db = await host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        Assert.DoesNotContain(await db.QueueEntries.Select(e => e.Title).ToListAsync(), t => t.Contains('\u0000') || t.Contains('\u0007') || t.Contains('\t'));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_queue_with_examples()
    {
        using var anonymous = host.Client(null);
        var paths = (await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        var post = paths.GetProperty("/api/v1/queue").GetProperty("post");
        Assert.Equal(45, post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("durationMinutes").GetInt32());
        Assert.Equal("Waiting", post.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("state").GetString());
        Assert.True(paths.GetProperty("/api/v1/queue/{id}").TryGetProperty("delete", out _));
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string? detail = null)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            if (detail is not null) Assert.Contains(detail, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        }
    }
}
