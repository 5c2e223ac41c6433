using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Api;

public sealed class ReservationApiTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private static readonly Actor Cara = new("local:cara", "Cara", false);
    private static readonly Actor Dan = new("local:dan", "Dan", false);

    private static object Booking(string environment, string start, int minutes = 60, string title = "API load test") =>
        new { environment, start, durationMinutes = minutes, title, testKind = "Load", testSpec = "users=10" };

    [Fact]
    public async Task Booking_through_the_api_answers_201_with_the_reservation_and_a_conflict_answers_409_with_the_next_free_slot()
    {
        using var api = host.Client(await host.TokenAsync(Cara));

        using var created = await api.PostAsJsonAsync("/api/v1/reservations", Booking("env-1", ApiTestHost.At(2, 10)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var reservation = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("env-1", "Cara", "Scheduled"), (reservation.GetProperty("environment").GetString(), reservation.GetProperty("owner").GetString(),
            reservation.GetProperty("state").GetString()));
        Assert.Equal($"/api/v1/reservations/{reservation.GetProperty("id").GetInt32()}", created.Headers.Location!.OriginalString);

        using var taken = await api.PostAsJsonAsync("/api/v1/reservations", Booking("env-1", ApiTestHost.At(2, 10, 30)));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("application/problem+json", taken.Content.Headers.ContentType!.MediaType);
        var problem = await taken.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("Env 1 is taken", problem.GetProperty("detail").GetString());
        Assert.Equal(ApiTestHost.At(2, 10), problem.GetProperty("conflict").GetProperty("startUtc").GetDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Assert.Equal(JsonValueKind.Object, problem.GetProperty("nextFreeSlot").ValueKind);
        var free = problem.GetProperty("freeSlots").EnumerateArray().Select(f => f.GetProperty("environment").GetString()).ToList();
        Assert.Equal(3, free.Count);
        Assert.Equal(3, free.Distinct().Count()); // one choice per environment
        Assert.Equal(problem.GetProperty("nextFreeSlot").GetProperty("environment").GetString(), free[0]);
    }

    [Fact]
    public async Task A_finished_reservation_answers_who_its_run_failed_through()
    {
        using var api = host.Client(await host.TokenAsync(Cara));
        using var created = await api.PostAsJsonAsync("/api/v1/reservations", Booking("env-5", ApiTestHost.At(6, 10)));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        await using (var db = await Dbs().CreateDbContextAsync())
        {
            var reservation = await db.Reservations.SingleAsync(r => r.Id == id);
            reservation.State = ReservationState.Failed;
            db.TestRuns.Add(new TestRun { ReservationId = id, EnvironmentId = reservation.EnvironmentId, FencingToken = 1, State = TestRunState.Lost,
                StartedUtc = reservation.StartUtc, EndedUtc = reservation.StartUtc.AddMinutes(20), Attribution = RunAttribution.Infrastructure });
            await db.SaveChangesAsync();
        }

        var run = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/reservations/{id}")).GetProperty("run");

        Assert.Equal(("Lost", "Infrastructure"), (run.GetProperty("state").GetString(), run.GetProperty("attribution").GetString()));
    }

    [Fact]
    public async Task Invalid_bookings_answer_422_with_the_reason_and_store_nothing()
    {
        using var api = host.Client(await host.TokenAsync(Cara));
        var before = await CountAsync();

        foreach (var (body, expected) in new (object Body, string Detail)[]
        {
            (Booking("env-2", ApiTestHost.At(2, 10, 3)), "5-minute grid"),
            (Booking("env-2", ApiTestHost.At(2, 10), minutes: 10), "at least 20 minutes"),
            (Booking("env-2", ApiTestHost.At(2, 10), minutes: -30), "The end must lie after the start."),
            (Booking("env-2", ApiTestHost.At(2, 10), minutes: 100_000), "A reservation may last at most 3 hours"),
            (Booking("env-2", ApiTestHost.At(400, 10)), "at most 30 days ahead"),
            (Booking("env-2", "1999-01-01T10:00:00Z"), "in the past"),
            (Booking("env-9", ApiTestHost.At(2, 10)), "no environment 'env-9'"),
            (Booking("env-2", ApiTestHost.At(2, 10), title: new string('x', 5000)), "at most 120 characters"),
        })
        {
            using var response = await api.PostAsJsonAsync("/api/v1/reservations", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(expected, problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_title_with_nul_bel_or_a_tab_or_a_spec_with_bel_answers_422_with_the_sentence_and_stores_nothing()
    {
        using var api = host.Client(await host.TokenAsync(Cara));
        var before = await CountAsync();

        foreach (var (title, spec, sentence) in new[]
        {
            ("\u0000", "users=10", "The title may not contain control characters such as tabs, line breaks or NUL."),
            ("Load \u0007 test", "users=10", "The title may not contain control characters such as tabs, line breaks or NUL."),
            ("a\tb", "users=10", "The title may not contain control characters such as tabs, line breaks or NUL."),
            ("Load test", "users=10\u0007", "The test spec may not contain control characters such as NUL or BEL; tabs and line breaks are fine."),
        })
        {
            using var response = await api.PostAsJsonAsync("/api/v1/reservations",
                new { environment = "env-3", start = ApiTestHost.At(6, 15), durationMinutes = 60, title, testKind = "Load", testSpec = spec });
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(sentence, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        Assert.Equal(before, await CountAsync());

        // A multi-line spec with tabs is still fine.
        using var created = await api.PostAsJsonAsync("/api/v1/reservations",
            new { environment = "env-3", start = ApiTestHost.At(6, 15), durationMinutes = 60, title = "Load test", testKind = "Load", testSpec = "suite=checkout\n\tusers=10" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("suite=checkout\n\tusers=10", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("testSpec").GetString());
    }

    [Theory]
    [InlineData("{\"environment\":\"env-2\",\"start\":\"earliest\",\"durationMinutes\":\"sixty\",\"title\":\"x\"}")]
    [InlineData("{\"environment\":\"env-2\",\"start\":\"earliest\",\"durationMinutes\":60,\"title\":\"x\",\"owner\":\"someone-else\"}")]
    [InlineData("{not json")]
    public async Task Malformed_or_unknown_json_answers_400_as_a_problem_and_stores_nothing(string json)
    {
        using var api = host.Client(await host.TokenAsync(Cara));
        var before = await CountAsync();

        using var response = await api.PostAsync("/api/v1/reservations", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync()); // never a stack trace
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_retried_post_with_the_same_idempotency_key_gets_the_same_reservation_even_when_the_first_committed_unseen()
    {
        using var api = host.Client(await host.TokenAsync(Cara));
        var key = Guid.NewGuid().ToString();

        // The first request commits; its answer is "lost" (the client never reads it) and the client retries, twice at once.
        using (var first = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reservations") { Content = JsonContent.Create(Booking("any", ApiTestHost.At(3, 8))) })
        {
            first.Headers.Add("Idempotency-Key", key);
            (await api.SendAsync(first)).Dispose();
        }
        var retries = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reservations") { Content = JsonContent.Create(Booking("any", ApiTestHost.At(3, 8))) };
            retry.Headers.Add("Idempotency-Key", key);
            using var response = await api.SendAsync(retry);
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32());
        }));

        Assert.All(retries, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(retries.Select(r => r.Item2).Distinct());
        await using var db = await Dbs().CreateDbContextAsync();
        Assert.Equal(1, await db.Reservations.CountAsync(r => r.IdempotencyKey == key));
    }

    [Fact]
    public async Task Tokens_are_refused_when_missing_unknown_revoked_expired_or_of_the_wrong_scope_and_a_cookie_never_counts()
    {
        var body = Booking("env-3", ApiTestHost.At(4, 10));
        using (var none = host.Client(null)) await AssertProblem(await none.PostAsJsonAsync("/api/v1/reservations", body), HttpStatusCode.Unauthorized);
        using (var unknown = host.Client("lb_0123456789_" + new string('a', 64)))
            await AssertProblem(await unknown.GetAsync("/api/v1/environments"), HttpStatusCode.Unauthorized);

        var revokedToken = await host.TokenAsync(Cara);
        var tokens = host.Factory.Services.GetRequiredService<ApiTokenService>();
        var id = (await tokens.ListAsync(Cara)).First().Id;
        Assert.True(await tokens.RevokeAsync(Cara, id));
        using (var revoked = host.Client(revokedToken)) await AssertProblem(await revoked.GetAsync("/api/v1/environments"), HttpStatusCode.Unauthorized);

        var expiredToken = await host.TokenAsync(Dan);
        await using (var db = await Dbs().CreateDbContextAsync())
            await db.ApiTokens.Where(t => t.OwnerId == Dan.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresUtc, DateTime.UtcNow.AddMinutes(-1)));
        using (var expired = host.Client(expiredToken)) await AssertProblem(await expired.GetAsync("/api/v1/environments"), HttpStatusCode.Unauthorized);

        using (var reader = host.Client(await host.TokenAsync(Cara, ApiScope.Read)))
        {
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/environments")).StatusCode);
            await AssertProblem(await reader.PostAsJsonAsync("/api/v1/reservations", body), HttpStatusCode.Forbidden);
        }

        // A signed-in browser's cookie does not authorise the API: no cross-site writes through it.
        using var browser = host.Factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        await HtmlForms.SignInAsync(browser, "Cara");
        await AssertProblem(await browser.PostAsJsonAsync("/api/v1/reservations", body), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Only_the_owner_may_change_cancel_or_release_a_reservation()
    {
        using var cara = host.Client(await host.TokenAsync(Cara));
        using var dan = host.Client(await host.TokenAsync(Dan));
        using var created = await cara.PostAsJsonAsync("/api/v1/reservations", Booking("env-4", ApiTestHost.At(5, 10)));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        using (var refused = await dan.DeleteAsync($"/api/v1/reservations/{id}")) Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, await refused.Content.ReadAsStringAsync());
        await AssertProblem(await dan.PatchAsJsonAsync($"/api/v1/reservations/{id}", new { extendMinutes = 30 }), HttpStatusCode.Forbidden);
        await AssertProblem(await dan.GetAsync("/api/v1/reservations/999999"), HttpStatusCode.NotFound);

        using var extended = await cara.PatchAsJsonAsync($"/api/v1/reservations/{id}", new { extendMinutes = 30 });
        Assert.Equal(HttpStatusCode.OK, extended.StatusCode);
        Assert.Equal(90, (int)((await extended.Content.ReadFromJsonAsync<JsonElement>()) is var r
            ? (r.GetProperty("endUtc").GetDateTime() - r.GetProperty("startUtc").GetDateTime()).TotalMinutes : 0));
        Assert.Equal(HttpStatusCode.OK, (await cara.DeleteAsync($"/api/v1/reservations/{id}")).StatusCode);
        using var gone = await cara.GetAsync($"/api/v1/reservations/{id}");
        Assert.Equal("Cancelled", (await gone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_long_poll_answers_when_the_state_changes_or_when_its_timeout_ends()
    {
        using var api = host.Client(await host.TokenAsync(Cara));
        using var created = await api.PostAsJsonAsync("/api/v1/reservations", Booking("env-5", ApiTestHost.At(6, 10)));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        var started = DateTime.UtcNow;
        using var unchanged = await api.GetAsync($"/api/v1/reservations/{id}?waitForChangeFrom=Scheduled&timeout=1");
        Assert.Equal("Scheduled", (await unchanged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));

        var waiting = api.GetAsync($"/api/v1/reservations/{id}?waitForChangeFrom=Scheduled&timeout=30");
        await Eventually.TrueAsync(() => !waiting.IsCompleted, TimeSpan.FromSeconds(1));
        using (var other = host.Client(await host.TokenAsync(Cara))) Assert.Equal(HttpStatusCode.OK, (await other.DeleteAsync($"/api/v1/reservations/{id}")).StatusCode);
        using var changed = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("Cancelled", (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_next_free_slot_and_the_environment_list_answer_for_a_read_token()
    {
        using var api = host.Client(await host.TokenAsync(Cara, ApiScope.Read));

        var environments = await api.GetFromJsonAsync<JsonElement>("/api/v1/environments");
        Assert.Equal(5, environments.GetArrayLength());
        var slot = await api.GetFromJsonAsync<JsonElement>("/api/v1/slots/next?duration=45");
        Assert.Equal(45, (slot.GetProperty("endUtc").GetDateTime() - slot.GetProperty("startUtc").GetDateTime()).TotalMinutes);
        await AssertProblem(await api.GetAsync("/api/v1/slots/next?duration=45&environment=nope"), HttpStatusCode.UnprocessableEntity);
        await AssertProblem(await api.GetAsync("/api/v1/slots/next?duration=5"), HttpStatusCode.UnprocessableEntity); // too short for the booking rules, not "no free slot"
        foreach (var (duration, sentence) in new[] { ("-5", "The end must lie after the start."), ("0", "The end must lie after the start.") })
        {
            using var refused = await api.GetAsync($"/api/v1/slots/next?duration={duration}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode); // a bad duration, not "no free slot"
            Assert.Equal(sentence, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        using (var notANumber = await api.GetAsync("/api/v1/slots/next?duration=sixty"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notANumber.StatusCode);
            Assert.Equal("application/problem+json", notANumber.Content.Headers.ContentType?.MediaType);
            Assert.Contains("duration", (await notANumber.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api()
    {
        using var anonymous = host.Client(null);
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/reservations", out var reservations));
        Assert.True(reservations.TryGetProperty("post", out var post));
        Assert.Equal(45, post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("durationMinutes").GetInt32());
        var conflict = post.GetProperty("responses").GetProperty("409").GetProperty("content").GetProperty("application/problem+json");
        Assert.Equal("env-1", conflict.GetProperty("example").GetProperty("nextFreeSlot").GetProperty("environment").GetString());
        Assert.True(paths.TryGetProperty("/api/v1/slots/next", out _));
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(string.IsNullOrWhiteSpace((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()));
        }
    }

    private IDbContextFactory<LeaseBoardDb> Dbs() => host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();

    private async Task<int> CountAsync()
    {
        await using var db = await Dbs().CreateDbContextAsync();
        return await db.Reservations.CountAsync();
    }
}
