namespace XformerDsl.Training;

/// <summary>Finds the directory a program was started from within, for examples that train on the repository's own text.</summary>
public static class RepositoryLocator
{
    /// <summary>
    /// The nearest directory, walking up from each start directory in turn, that directly contains a file named
    /// <paramref name="markerFileName"/> (for example <c>XformerDsl.sln</c>); null when none of them has one.
    /// </summary>
    /// <param name="markerFileName">A file that marks the root, such as the solution file.</param>
    /// <param name="startDirectories">Where to start, in order of preference (typically <see cref="AppContext.BaseDirectory"/> and the current directory).</param>
    public static string? FindAncestorContaining(string markerFileName, params IEnumerable<string?> startDirectories)
    {
        foreach (var start in startDirectories)
        {
            if (string.IsNullOrWhiteSpace(start))
                continue;
            for (var directory = new DirectoryInfo(Path.GetFullPath(start)); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, markerFileName)))
                    return directory.FullName;
            }
        }
        return null;
    }
}
