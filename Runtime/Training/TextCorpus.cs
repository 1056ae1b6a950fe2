using System.Collections.Immutable;
using System.Text;

namespace XformerDsl.Training;

/// <summary>
/// Text to train a byte-level language model on, as UTF-8 bytes, split into a training and a validation part.
/// Built from one file, from the text files of a directory, from the <c>*.md</c> and <c>*.cs</c> files of a
/// source tree, or from a string. Files are read in ordinal order of their relative paths, so the same tree
/// always gives the same corpus.
/// </summary>
/// <remarks>
/// The split is per document: the last <c>validationFraction</c> of each document's bytes goes to validation,
/// the rest to training. Every kind of document is then represented on both sides, and no validation byte is
/// ever seen in training. Documents are joined with a blank line.
/// </remarks>
public sealed class TextCorpus
{
    /// <summary>Directory names never descended into: build output, version control and IDE state.</summary>
    public static readonly ImmutableArray<string> ExcludedDirectoryNames =
        ["bin", "obj", "artifacts", ".git", ".vs", ".idea", "TestResults", "node_modules"];

    /// <summary>The extensions of the files a source-tree corpus is made of.</summary>
    public static readonly ImmutableArray<string> SourceTreeExtensions = [".md", ".cs"];

    /// <summary>The fraction of each document held out for validation unless told otherwise.</summary>
    public const double DefaultValidationFraction = 0.1;

    private static readonly byte[] DocumentSeparator = "\n\n"u8.ToArray();

    private TextCorpus(string description, ImmutableArray<string> documents, byte[] train, byte[] validation)
    {
        Description = description;
        Documents = documents;
        Train = train;
        Validation = validation;
    }

    /// <summary>Where the text came from, for people: e.g. <c>42 files (.md, .cs) under /src/repo</c>.</summary>
    public string Description { get; }

    /// <summary>The documents the corpus is made of, in the order they were joined (paths relative to the root for a directory).</summary>
    public ImmutableArray<string> Documents { get; }

    /// <summary>The training text, UTF-8.</summary>
    public ReadOnlyMemory<byte> Train { get; }

    /// <summary>The held-out validation text, UTF-8 (empty when the validation fraction is 0).</summary>
    public ReadOnlyMemory<byte> Validation { get; }

    /// <summary>Training plus validation bytes.</summary>
    public long TotalBytes => Train.Length + (long)Validation.Length;

    /// <summary>A corpus of one in-memory text.</summary>
    public static TextCorpus FromText(string text, double validationFraction = DefaultValidationFraction, string description = "text") =>
        FromDocuments(description, [("text", Encoding.UTF8.GetBytes(text))], validationFraction);

    /// <summary>A corpus of one file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static TextCorpus FromFile(string path, double validationFraction = DefaultValidationFraction)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"No file at '{full}'.", full);
        return FromDocuments(full, [(Path.GetFileName(full), File.ReadAllBytes(full))], validationFraction);
    }

    /// <summary>
    /// A corpus of the files under <paramref name="directory"/> (recursively, skipping <see cref="ExcludedDirectoryNames"/>
    /// and <c>*.received.*</c> files). With <paramref name="extensions"/> only files with those extensions are read;
    /// without, every file that looks like text (no NUL byte in its first 8 KiB).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">No file qualifies.</exception>
    public static TextCorpus FromDirectory(string directory, IReadOnlyCollection<string>? extensions = null, double validationFraction = DefaultValidationFraction)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"No directory at '{root}'.");
        var documents = new List<(string Name, byte[] Bytes)>();
        foreach (var relative in SelectFiles(root, extensions))
        {
            var bytes = File.ReadAllBytes(Path.Combine(root, relative));
            if (extensions is null && !LooksLikeText(bytes))
                continue;
            documents.Add((relative, bytes));
        }
        if (documents.Count == 0)
        {
            var what = extensions is null ? "text files" : $"files ending in {string.Join(", ", extensions)}";
            throw new InvalidDataException($"No {what} under '{root}'.");
        }
        var kinds = extensions is null ? "" : $" ({string.Join(", ", extensions)})";
        return FromDocuments($"{documents.Count} files{kinds} under {root}", documents, validationFraction);
    }

    /// <summary>A corpus of a file, or of the text files of a directory, whichever <paramref name="path"/> names.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    public static TextCorpus FromPath(string path, double validationFraction = DefaultValidationFraction)
    {
        if (Directory.Exists(path))
            return FromDirectory(path, null, validationFraction);
        if (File.Exists(path))
            return FromFile(path, validationFraction);
        throw new FileNotFoundException($"No file or directory at '{Path.GetFullPath(path)}'.", path);
    }

    /// <summary>
    /// A corpus of a source tree's own prose and code: its <c>*.md</c> and <c>*.cs</c> files
    /// (see <see cref="FromDirectory"/> for what is skipped).
    /// </summary>
    public static TextCorpus FromSourceTree(string root, double validationFraction = DefaultValidationFraction) =>
        FromDirectory(root, SourceTreeExtensions, validationFraction);

    /// <summary>
    /// <see cref="FromSourceTree"/> of the repository this program runs in: the nearest ancestor of the program's own
    /// directory, or else of the current directory, that holds <paramref name="marker"/>. What the examples train on.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">When neither is inside such a repository; the message says where it looked.</exception>
    public static TextCorpus FromEnclosingRepository(string marker = "XformerDsl.sln", double validationFraction = DefaultValidationFraction)
    {
        var root = RepositoryLocator.FindAncestorContaining(marker, AppContext.BaseDirectory, Environment.CurrentDirectory)
            ?? throw new DirectoryNotFoundException(
                $"No {marker} above '{AppContext.BaseDirectory}' or '{Environment.CurrentDirectory}': run this from inside the repository, whose text it trains on.");
        return FromSourceTree(root, validationFraction);
    }

    /// <summary>
    /// The files under <paramref name="root"/> that a directory corpus reads, as paths relative to it with '/'
    /// separators, in ordinal order: recursive, skipping <see cref="ExcludedDirectoryNames"/> and <c>*.received.*</c>
    /// files, and keeping only <paramref name="extensions"/> (case-insensitive) when given.
    /// </summary>
    public static ImmutableArray<string> SelectFiles(string root, IReadOnlyCollection<string>? extensions = null)
    {
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(directory))
            {
                var info = new DirectoryInfo(sub);
                // Symbolic links could lead out of the tree or round in a cycle.
                if (!IsExcludedDirectory(info.Name) && info.LinkTarget is null)
                    pending.Push(sub);
            }
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                var relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (IsIncludedFile(relative, extensions))
                    files.Add(relative);
            }
        }
        files.Sort(StringComparer.Ordinal);
        return [.. files];
    }

    /// <summary>Whether a directory with this name is skipped (build output, version control, IDE state).</summary>
    public static bool IsExcludedDirectory(string name) => ExcludedDirectoryNames.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a file at <paramref name="relativePath"/> ('/'-separated, relative to the corpus root) belongs to the corpus:
    /// no directory on its path is excluded, it is not a snapshot test's <c>*.received.*</c> file, and it has one of
    /// <paramref name="extensions"/> when they are given.
    /// </summary>
    public static bool IsIncludedFile(string relativePath, IReadOnlyCollection<string>? extensions = null)
    {
        var parts = relativePath.Split('/', '\\');
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (IsExcludedDirectory(parts[i]))
                return false;
        }
        var name = parts[^1];
        if (name.Contains(".received.", StringComparison.OrdinalIgnoreCase))
            return false;
        return extensions is null || extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Joins documents with a blank line and splits each one into a head for training and a tail for validation
    /// (the last <paramref name="validationFraction"/> of its bytes, rounded down).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationFraction"/> is outside [0, 1).</exception>
    public static TextCorpus FromDocuments(string description, IReadOnlyList<(string Name, byte[] Bytes)> documents, double validationFraction = DefaultValidationFraction)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        var train = new MemoryStream();
        var validation = new MemoryStream();
        foreach (var (_, bytes) in documents)
        {
            int held = (int)(bytes.Length * validationFraction);
            int kept = bytes.Length - held;
            if (train.Length > 0) train.Write(DocumentSeparator);
            train.Write(bytes, 0, kept);
            if (held > 0)
            {
                if (validation.Length > 0) validation.Write(DocumentSeparator);
                validation.Write(bytes, kept, held);
            }
        }
        return new TextCorpus(description, [.. documents.Select(d => d.Name)], train.ToArray(), validation.ToArray());
    }

    private static bool LooksLikeText(byte[] bytes) => bytes.AsSpan(0, Math.Min(bytes.Length, 8192)).IndexOf((byte)0) < 0;
}
