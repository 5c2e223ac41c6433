using LeaseBoard.Features.SignIn;
using System.Net;
using LeaseBoard.Features.Booking;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Host;

[Collection(SharedAppCollection.Name)]
public sealed class HealthTests(SharedAppFixture app)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task The_health_endpoints_answer_healthy_anonymously_with_the_default_configuration(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}

/// <summary>
/// Start-up with other settings: each test needs a host of its own. Hangfire's state is process-wide,
/// so these hosts run no job server (the factory's default); only the shared host does.
/// </summary>
public sealed class StartupTests
{
    private const string AllowSetting = LocalSignInOptions.Section + ":AllowOutsideDevelopment";

    [Fact]
    public async Task The_app_refuses_to_start_in_Production_with_the_local_sign_in_and_names_the_setting_that_allows_it()
    {
        await using var factory = new LeaseBoardAppFactory("Production");

        var error = Record.Exception(() => factory.Server);

        Assert.NotNull(error);
        var refusal = Flatten(error).OfType<InvalidOperationException>().FirstOrDefault(e => e.Message.Contains("refuses to start"));
        Assert.True(refusal is not null, $"Expected the sign-in refusal, got: {error}");
        Assert.Contains("LeaseBoard:LocalSignIn:AllowOutsideDevelopment", refusal.Message);
        Assert.Contains("'Production'", refusal.Message);
    }

    [Fact]
    public async Task The_app_starts_in_Production_with_the_local_sign_in_when_it_is_allowed_explicitly()
    {
        await using var factory = new LeaseBoardAppFactory("Production", new Dictionary<string, string?> { [AllowSetting] = "true" });
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        // Ready once its brief warm-up has run (503 "warming up" until then).
        await factory.Services.GetRequiredService<LeaseBoard.Features.Api.ApiWarmUp>().Warm.WaitAsync(TimeSpan.FromSeconds(60));
        using var ready = await client.GetAsync("/health/ready");
        using var page = await client.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Local sign-in (Production)", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_factory_can_give_the_app_a_fake_clock()
    {
        var clock = new FakeTimeProvider(BookingHarness.DefaultNow);
        await using var factory = new LeaseBoardAppFactory { Clock = clock };

        var queries = factory.Services.GetRequiredService<ReservationQueries>();

        Assert.Same(clock, factory.Services.GetRequiredService<TimeProvider>());
        Assert.Equal(BookingHarness.DefaultNow.UtcDateTime, queries.UtcNow);
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                    yield return inner;
        }
    }
}
