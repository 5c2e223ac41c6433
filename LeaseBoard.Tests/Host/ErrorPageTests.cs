using LeaseBoard.Features.SignIn;
using System.Net;
using AngleSharp.Html.Parser;
using LeaseBoard.Data;
using LeaseBoard.Features.Booking;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Host;

/// <summary>Outside Development a failing page answers with the app's own error page: a plain message, a request id, a way back.</summary>
public sealed class ErrorPageTests
{
    [Fact]
    public async Task A_page_that_fails_outside_Development_answers_500_with_the_error_page_and_a_request_id()
    {
        await using var factory = new LeaseBoardAppFactory("Production", new Dictionary<string, string?>
        {
            [LocalSignInOptions.Section + ":AllowOutsideDevelopment"] = "true",
        })
        {
            // The booking page's queries break, as with a database gone away.
            ConfigureServices = services => services
                .AddSingleton(new ReservationQueries(new BrokenDatabase(), TimeProvider.System))
                // The page reads the board through the instance's snapshot, which reads the same broken database.
                .AddSingleton(sp => new BoardSnapshot(sp.GetRequiredService<LeaseBoard.Features.LiveUpdates.BoardEvents>(), new BrokenDatabase(), TimeProvider.System,
                    sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<BoardSnapshot>>())),
        };
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        (await client.SignInAsync("Ana")).Dispose();

        using var response = await client.GetAsync("/book");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var document = new HtmlParser().ParseDocument(html);
        Assert.Equal("Something went wrong", document.QuerySelector("h1")?.TextContent.Trim());
        Assert.Equal("Something went wrong · LeaseBoard", document.Title);
        Assert.False(string.IsNullOrWhiteSpace(document.QuerySelector("[data-testid=error-request-id]")?.TextContent));
        Assert.Equal("/", document.QuerySelector("a[data-testid=back-to-calendar]")?.GetAttribute("href"));
        Assert.DoesNotContain("database gone", html); // no exception details for users
        Assert.DoesNotContain("ASPNETCORE_ENVIRONMENT", html);
    }

    private sealed class BrokenDatabase : IDbContextFactory<LeaseBoardDb>
    {
        public LeaseBoardDb CreateDbContext() => throw new InvalidOperationException("database gone");
    }
}
