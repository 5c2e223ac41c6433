using System.Net;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;

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

/// <summary>Start-up in other environments: each test needs a host of its own with its own settings.</summary>
public sealed class ProductionStartupTests
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

        using var ready = await client.GetAsync("/health/ready");
        using var page = await client.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Local sign-in (Production)", await page.Content.ReadAsStringAsync());
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
