namespace LeaseBoard.Tests.TestSupport;

public static class RepositoryRoot
{
    /// <summary>The folder holding LeaseBoard.sln, found by walking up from the test binaries.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LeaseBoard.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No LeaseBoard.sln above {AppContext.BaseDirectory}.");
    }
}
