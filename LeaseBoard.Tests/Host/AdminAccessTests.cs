using System.Net;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Host;

/// <summary>The admin surfaces are locked down from outside: anonymous visitors and signed-in non-admins get nothing.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class AdminAccessTests(SharedAppFixture app)
{
    [Theory]
    [InlineData("/admin")]
    [InlineData("/hangfire")]
    [InlineData("/admin/audit.csv")]
    public async Task Admin_surfaces_send_an_anonymous_visitor_to_the_sign_in_page(string path)
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin", Absolute(response.Headers.Location).AbsolutePath);
        Assert.DoesNotContain("id,at_utc", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/hangfire")]
    [InlineData("/admin/audit.csv")]
    public async Task Admin_surfaces_deny_a_signed_in_non_admin(string path)
    {
        using var client = app.CreateClient();
        (await client.SignInAsync("Nora Nonadmin")).Dispose();

        using var response = await client.GetAsync(path);

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden
                    || (response.StatusCode == HttpStatusCode.Redirect && Absolute(response.Headers.Location).AbsolutePath == "/denied"),
            $"{path}: {(int)response.StatusCode} {response.Headers.Location}");
        Assert.DoesNotContain("id,at_utc", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Admin_audit_csv_export_answers_an_admin_with_escaped_csv()
    {
        using var client = app.CreateClient();
        (await client.SignInAsAdminAsync("Ada Admin")).Dispose();

        using var response = await client.GetAsync("/admin/audit.csv?action=" + Uri.EscapeDataString("no.such-action"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(AuditCsvHeader, (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Admin_hangfire_dashboard_opens_for_an_admin()
    {
        using var client = app.CreateClient();
        (await client.SignInAsAdminAsync("Ada Admin")).Dispose();

        using var response = await client.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private const string AuditCsvHeader = LeaseBoard.Features.Admin.AuditCsv.Header;

    private Uri Absolute(Uri? location)
    {
        Assert.NotNull(location);
        return location.IsAbsoluteUri ? location : new Uri(app.BaseAddress, location);
    }
}

/// <summary>The local sign-in's admin box works only in Development.</summary>
public sealed class AdminLocalSignInTests
{
    [Fact]
    public async Task Admin_cannot_be_made_by_the_local_sign_in_outside_Development()
    {
        await using var factory = new LeaseBoardAppFactory("Production", new Dictionary<string, string?>
        {
            [LocalSignInOptions.Section + ":AllowOutsideDevelopment"] = "true",
        });
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        var (_, fields) = await client.ReadFormAsync("/signin");
        Assert.DoesNotContain("Input.Admin", fields.Keys); // the box is not offered...
        using var signIn = await client.SignInAsAdminAsync("Mallory"); // ...and a forged one is ignored
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

        using var csv = await client.GetAsync("/admin/audit.csv");
        Assert.NotEqual(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("/denied", csv.Headers.Location?.AbsolutePath ?? new Uri(factory.BaseAddress, csv.Headers.Location!).AbsolutePath);
    }
}

public static class AdminSignIn
{
    /// <summary>The local sign-in form with its admin box ticked (posted even where the form does not offer it).</summary>
    public static async Task<HttpResponseMessage> SignInAsAdminAsync(this HttpClient client, string name)
    {
        var (action, fields) = await client.ReadFormAsync("/signin");
        fields["Input.Name"] = name;
        fields["Input.Admin"] = "true";
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }
}
