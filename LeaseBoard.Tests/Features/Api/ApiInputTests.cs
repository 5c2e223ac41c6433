using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>An API host of its own (hostile input changes environments), with a rate limit no generated run reaches.</summary>
public sealed class ApiInputHost() : ApiTestHost(new Dictionary<string, string?> { ["LeaseBoard:Api:RequestsPerMinute"] = "100000" });

/// <summary>Times, sizes and hostile values at the API's edge: every refusal is a 4xx problem and stores nothing.</summary>
public sealed class ApiInputTests(ApiInputHost host) : IClassFixture<ApiInputHost>
{
    private static readonly Actor Eve = new("local:eve", "Eve", false);

    /// <summary>An Eve of her own for a test that books: the cases share one host, and one person's share of the pool is capped.</summary>
    private static Actor FreshEve() => new($"local:eve-{Guid.NewGuid():N}", "Eve", false);

    private static object Booking(string environment, string start, int minutes = 60) =>
        new { environment, start, durationMinutes = minutes, title = "input test", testKind = "Load", testSpec = "" };

    [Fact]
    public async Task Times_without_an_offset_are_refused_with_a_problem_naming_the_field_on_post_patch_and_the_filters()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        var local = ApiTestHost.At(2, 9).TrimEnd('Z'); // 2026-…T09:00:00, no offset
        var before = await SnapshotAsync();

        var post = await ProblemAsync(await api.PostAsJsonAsync("/api/v1/reservations", Booking("env-1", local)), HttpStatusCode.BadRequest);
        Assert.Equal("start", post.GetProperty("field").GetString());
        Assert.Contains("offset", post.GetProperty("detail").GetString());
        Assert.Equal(before, await SnapshotAsync());

        // With an offset the same wall-clock time is taken, converted to UTC.
        using var created = await api.PostAsJsonAsync("/api/v1/reservations", Booking("env-1", local + "+02:00"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var reservation = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ApiTestHost.At(2, 7), reservation.GetProperty("startUtc").GetDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        var id = reservation.GetProperty("id").GetInt32();

        before = await SnapshotAsync();
        foreach (var field in new[] { "startUtc", "endUtc" })
        {
            var patch = await ProblemAsync(await api.PatchAsync($"/api/v1/reservations/{id}",
                new StringContent($"{{\"{field}\":\"{ApiTestHost.At(2, 12).TrimEnd('Z')}\"}}", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
            Assert.Equal(field, patch.GetProperty("field").GetString());
            Assert.Contains("offset", patch.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await SnapshotAsync());
        using (var moved = await api.PatchAsJsonAsync($"/api/v1/reservations/{id}", new { startUtc = ApiTestHost.At(2, 12).TrimEnd('Z') + "+01:00" }))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
            Assert.Equal(ApiTestHost.At(2, 11), (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("startUtc").GetDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        }

        foreach (var field in new[] { "from", "to" })
        {
            var filter = await ProblemAsync(await api.GetAsync($"/api/v1/reservations?{field}={Uri.EscapeDataString(local)}"), HttpStatusCode.BadRequest);
            Assert.Equal(field, filter.GetProperty("field").GetString());
        }
        using var filtered = await api.GetAsync($"/api/v1/reservations?from={Uri.EscapeDataString(ApiTestHost.At(2, 0))}&to={Uri.EscapeDataString(ApiTestHost.At(2, 23).TrimEnd('Z') + "+00:00")}&mine=true");
        Assert.Equal(HttpStatusCode.OK, filtered.StatusCode);
        Assert.Contains((await filtered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetInt32() == id);
    }

    [Fact]
    public async Task The_openapi_document_states_that_times_need_an_offset()
    {
        using var anonymous = host.Client(null);
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.Contains("offset", document.GetProperty("info").GetProperty("description").GetString());
        var change = document.GetProperty("components").GetProperty("schemas").GetProperty("ChangeReservationRequest").GetProperty("properties");
        Assert.Contains("offset", change.GetProperty("startUtc").GetProperty("description").GetString());
        Assert.Contains("offset", document.GetProperty("components").GetProperty("schemas").GetProperty("CreateReservationRequest")
            .GetProperty("properties").GetProperty("start").GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_request_body_over_64_kB_gets_a_413_problem_and_stores_nothing()
    {
        using var api = host.Client(await host.TokenAsync(Eve));
        var before = await SnapshotAsync();
        var huge = new { environment = "env-2", start = ApiTestHost.At(3, 9), durationMinutes = 60, title = "big", testSpec = new string('x', 70_000) };

        await ProblemAsync(await api.PostAsJsonAsync("/api/v1/reservations", huge), HttpStatusCode.RequestEntityTooLarge);
        // Without a Content-Length (chunked) too.
        using var chunked = new StringContent(JsonSerializer.Serialize(huge), Encoding.UTF8, "application/json");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reservations") { Content = chunked })
        {
            request.Headers.TransferEncodingChunked = true;
            await ProblemAsync(await api.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        }
        await ProblemAsync(await api.PatchAsJsonAsync("/api/v1/reservations/1", new { environment = new string('e', 70_000) }), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await SnapshotAsync());

        // A body under the limit is read as before (refused here for its long spec, not for its size).
        using var fine = await api.PostAsJsonAsync("/api/v1/reservations", huge with { testSpec = new string('x', 60_000) });
        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, fine.StatusCode);
    }

    public static TheoryData<string, string> HostileRequests => new()
    {
        { "POST", $"{{\"environment\":\"env-3\",\"start\":\"9999-12-31T23:55Z\",\"durationMinutes\":60,\"title\":\"x\"}}" },
        { "POST", "{\"environment\":\"env-3\",\"start\":\"tomorrow-ish\",\"durationMinutes\":60,\"title\":\"x\"}" },
        { "POST", $"{{\"environment\":\"env-3\",\"start\":\"0001-01-01T00:00Z\",\"durationMinutes\":60,\"title\":\"x\"}}" },
        { "POST", $"{{\"environment\":\"env-3\",\"start\":\"{ApiTestHost.At(4, 9)}\",\"durationMinutes\":60,\"title\":\"x\",\"testKind\":99}}" },
        { "POST", $"{{\"environment\":\"env-3\",\"start\":\"{ApiTestHost.At(4, 9)}\",\"durationMinutes\":60,\"title\":\"x\",\"testKind\":\"99\"}}" },
        { "POST", $"{{\"environment\":\"env-3\",\"start\":\"{ApiTestHost.At(4, 9)}\",\"durationMinutes\":\"60\",\"title\":\"x\"}}" },
        { "POST", $"{{\"environment\":\"env-3\",\"start\":\"earliest\",\"durationMinutes\":{int.MaxValue},\"title\":\"x\"}}" },
        { "PATCH", "{\"startUtc\":\"9999-12-31T23:55:00Z\"}" },
        { "PATCH", "{\"endUtc\":\"9999-12-31T23:55:00Z\"}" },
        { "PATCH", "{\"startUtc\":\"0001-01-01T00:00:00Z\"}" },
        { "PATCH", $"{{\"extendMinutes\":{int.MinValue}}}" },
        { "PATCH", $"{{\"extendMinutes\":{int.MaxValue}}}" },
        { "PATCH", "{\"extendMinutes\":\"30\"}" },
    };

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task Hostile_values_get_a_4xx_problem_never_a_500_and_nothing_is_stored(string method, string json)
    {
        using var api = host.Client(await host.TokenAsync(FreshEve()));
        var url = "/api/v1/reservations";
        if (method == "PATCH")
        {
            using var created = await api.PostAsJsonAsync(url, Booking("any", "earliest", 30));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            url += "/" + (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        }
        var before = await SnapshotAsync();

        using var response = await api.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()));
        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>
    /// Generated request bodies and query strings (a seeded generator: the same cases on every run) at every endpoint:
    /// no answer is a 5xx, every refusal is a problem document, and a refused request changes nothing.
    /// </summary>
    [Fact]
    public async Task Generated_requests_at_every_endpoint_never_get_a_5xx_and_a_refused_one_stores_nothing()
    {
        using var user = host.Client(await host.TokenAsync(FreshEve()));
        using var admin = host.Client(await host.TokenAsync(TestActors.Admin));
        using var other = await user.PostAsJsonAsync("/api/v1/reservations", Booking("any", "earliest", 30));
        var ids = new List<int> { (await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32(), 0, -1, int.MaxValue };
        var generator = new RequestGenerator(new Random(1313));

        for (var i = 0; i < 300; i++)
        {
            var (client, method, url, body) = generator.Next(ids, user, admin);
            var before = await SnapshotAsync();
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");

            using var response = await client.SendAsync(request);

            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var described = $"case {i}: {method} {url} {body} → {status} {text}";
            Assert.True(status < 500, described);
            if (status >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", described);
                Assert.True(before == await SnapshotAsync(), "stored by a refused request: " + described);
            }
            else if (status == 201) ids.Add(JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt32());
        }
    }

    /// <summary>Requests built from field names the API knows, plausible values and hostile ones.</summary>
    private sealed class RequestGenerator(Random random)
    {
        private static readonly string[] Environments = ["any", "env-1", "env-5", "env-9", "", "ENV-1", "env-1'; --", "\u0000", new('e', 300)];
        private static readonly string[] States = ["Completed", "Failed", "99", "-1", "", "nope", "Scheduled,Active"];
        private static readonly string[] Actions = ["force-release", "quarantine", "return", "check-health", "cleanup", "delete", "", "QUARANTINE"];

        public (HttpClient Client, string Method, string Url, string? Body) Next(List<int> ids, HttpClient user, HttpClient admin)
        {
            var id = random.Next(4) == 0 ? Pick(new[] { 0, -1, int.MaxValue, 999_999 }) : Pick(ids);
            return random.Next(9) switch
            {
                0 or 1 => (user, "POST", "/api/v1/reservations", Body(["environment", "start", "durationMinutes", "title", "testKind", "testSpec"])),
                2 or 3 => (user, "PATCH", $"/api/v1/reservations/{id}", Body(["environment", "startUtc", "endUtc", "extendMinutes"])),
                4 => (user, Pick(new[] { "DELETE", "POST" }), $"/api/v1/reservations/{id}" + (random.Next(2) == 0 ? "/release" : ""), null),
                5 => (user, "GET", "/api/v1/reservations?" + Query(["environment", "from", "to", "mine", "skip", "take"]), null),
                6 => (user, "GET", $"/api/v1/reservations/{id}?waitForChangeFrom={Uri.EscapeDataString(Pick(States))}&timeout={Pick(new[] { "1", "-5", "0", "x" })}", null),
                7 => (user, "GET", random.Next(3) == 0 ? "/api/v1/environments" : "/api/v1/slots/next?" + Query(["duration", "environment"]), null),
                _ => (admin, "POST", $"/api/v1/admin/environments/{Uri.EscapeDataString(Pick(Environments.Where(e => !e.Contains('\u0000')).ToList()))}/actions",
                    Body(["action", "reason", "andForceRelease", "evenIfUnhealthy"])),
            };
        }

        private string Body(string[] fields)
        {
            switch (random.Next(12))
            {
                case 0: return Pick(new[] { "", "{", "[]", "null", "\"x\"", "{\"a\":", "{}", "1e999", "{\"title\":\"\\uD800\"}" });
                case 1: return "[" + Body(fields) + "]";
            }
            var chosen = fields.Where(_ => random.Next(3) != 0).Select(f => $"\"{f}\":{Value(f)}").ToList();
            if (random.Next(8) == 0) chosen.Add($"\"{Pick(new[] { "owner", "id", "state", "START", "__proto__" })}\":{Value("")}");
            if (random.Next(10) == 0 && chosen.Count > 0) chosen.Add(chosen[0]); // a field twice
            return "{" + string.Join(",", chosen) + "}";
        }

        private string Query(string[] fields) =>
            string.Join("&", fields.Where(_ => random.Next(2) == 0).Select(f => f + "=" + Uri.EscapeDataString(Text(Plain(f)))));

        /// <summary>A field's value: mostly plausible for the field, sometimes anything.</summary>
        private string Value(string field) => random.Next(3) == 0 ? Hostile(2) : Plain(field);

        private string Plain(string field) => field switch
        {
            "environment" => Json(Pick(Environments)),
            "start" or "startUtc" or "endUtc" or "from" or "to" => Json(Time()),
            "durationMinutes" or "duration" or "extendMinutes" =>
                Pick(new[] { "20", "30", "45", "60", "180", "-30", "7", "0", int.MinValue.ToString(), int.MaxValue.ToString(), "\"60\"", "60.5", "1e10" }),
            "testKind" => Pick(new[] { "\"Load\"", "\"Chaos\"", "\"soak\"", "99", "-1", "2", "\"99\"", "\"Load, Chaos\"", "\"\"" }),
            "title" or "testSpec" or "reason" => Json(Pick(new[] { "nightly", "", "  ", new string('x', 200), "<script>alert(1)</script>", "Ünïcödé ✓", "\u202Eevil" })),
            "action" => Json(Pick(Actions)),
            "mine" or "andForceRelease" or "evenIfUnhealthy" => Pick(new[] { "true", "false", "\"true\"", "1" }),
            "skip" or "take" => Pick(new[] { "0", "10", "-1", "100000", int.MaxValue.ToString(), "x" }),
            _ => Hostile(1),
        };

        private string Time()
        {
            var day = DateTime.UtcNow.Date.AddDays(random.Next(-2, 40)).AddMinutes(5 * random.Next(0, 288));
            return random.Next(8) switch
            {
                0 => "earliest",
                1 => day.ToString("yyyy-MM-dd'T'HH:mm:ss"), // no offset
                2 => day.ToString("yyyy-MM-dd'T'HH:mm:ss") + Pick(new[] { "+02:00", "-05:30", "+14:00" }),
                3 => Pick(new[] { "9999-12-31T23:55Z", "0001-01-01T00:00Z", "2026-02-30T10:00Z", "2026-13-01T10:00Z", "24:00", "now", "1e9", "" }),
                _ => day.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            };
        }

        private string Hostile(int depth) => random.Next(depth > 0 ? 10 : 8) switch
        {
            0 => "null",
            1 => Pick(new[] { "true", "false" }),
            2 => Pick(new[] { "0", "-0", "1.5", "1e308", "-1e308", "123456789012345678901234567890", int.MinValue.ToString(), long.MaxValue.ToString() }),
            3 => Json(new string((char)random.Next(0x20, 0xD7FF), random.Next(0, 50))),
            4 => Json(Time()),
            5 => "\"\\u0000\"",
            6 => Json(new string('a', random.Next(1000, 20_000))),
            7 => "\"\"",
            8 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => Hostile(depth - 1))) + "]",
            _ => "{\"a\":" + Hostile(depth - 1) + "}",
        };

        /// <summary>A JSON value as query text: strings unquoted.</summary>
        private static string Text(string json) => json.StartsWith('"') ? JsonSerializer.Deserialize<string>(json) ?? "" : json;

        private static string Json(string text) => JsonSerializer.Serialize(text);

        private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement.Clone();
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            return problem;
        }
    }

    /// <summary>What a request could have stored: reservations (and their times and states), audit entries, environments' states.</summary>
    private async Task<string> SnapshotAsync()
    {
        await using var db = await host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        var reservations = await db.Reservations.AsNoTracking().OrderBy(r => r.Id)
            .Select(r => new { r.Id, r.EnvironmentId, r.StartUtc, r.EndUtc, r.State, r.TestKind, r.Title }).ToListAsync();
        var environments = await db.Environments.AsNoTracking().OrderBy(e => e.Id).Select(e => new { e.Id, e.State, e.QuarantineReason }).ToListAsync();
        return JsonSerializer.Serialize(new { reservations, audit = await db.AuditEntries.CountAsync(), environments });
    }
}
