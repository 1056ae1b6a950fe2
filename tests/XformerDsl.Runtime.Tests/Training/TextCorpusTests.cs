using System.Text;
using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

public sealed class TextCorpusTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xf-corpus-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void Source_tree_files_are_md_and_cs_in_ordinal_order_without_build_output_or_received_snapshots()
    {
        Write("README.md", "readme");
        Write("b/Z.cs", "z");
        Write("b/a.cs", "a");
        Write("B2/x.md", "x");
        Write("bin/Release/gen.cs", "no");
        Write("src/obj/Debug/gen.cs", "no");
        Write("artifacts/out.md", "no");
        Write(".git/hooks/x.md", "no");
        Write("tests/Snap.received.cs", "no");
        Write("tests/Snap.verified.cs", "yes");
        Write("notes.txt", "not source");

        var files = TextCorpus.SelectFiles(_root, TextCorpus.SourceTreeExtensions);

        Assert.Equal<string>(["B2/x.md", "README.md", "b/Z.cs", "b/a.cs", "tests/Snap.verified.cs"], files);
    }

    [Theory]
    [InlineData("src/Model.cs", true)]
    [InlineData("docs/README.MD", true)]
    [InlineData("src/bin/Model.cs", false)]
    [InlineData("OBJ/Model.cs", false)]
    [InlineData("artifacts/a.md", false)]
    [InlineData(".git/a.md", false)]
    [InlineData("tests/A.received.cs", false)]
    [InlineData("tests/A.received.txt", false)]
    [InlineData("binder/Model.cs", true)]
    [InlineData("src/Model.csproj", false)]
    public void File_filter(string relativePath, bool included)
    {
        Assert.Equal(included, TextCorpus.IsIncludedFile(relativePath, TextCorpus.SourceTreeExtensions));
    }

    [Fact]
    public void Each_document_gives_its_tail_to_validation()
    {
        var corpus = TextCorpus.FromDocuments("two", [("a", Bytes("0123456789")), ("b", Bytes("abcdefghijklmnopqrst"))], validationFraction: 0.2);

        Assert.Equal("01234567\n\nabcdefghijklmnop", Text(corpus.Train));
        Assert.Equal("89\n\nqrst", Text(corpus.Validation));
        Assert.Equal<string>(["a", "b"], corpus.Documents);
    }

    [Fact]
    public void Train_and_validation_hold_every_byte_exactly_once()
    {
        var text = string.Concat(Enumerable.Range(0, 500).Select(i => $"line {i}\n"));
        var corpus = TextCorpus.FromText(text, validationFraction: 0.1);

        Assert.Equal(text, Text(corpus.Train) + Text(corpus.Validation));
        Assert.Equal(text.Length / 10, corpus.Validation.Length);
    }

    [Fact]
    public void Zero_validation_fraction_keeps_everything_for_training()
    {
        var corpus = TextCorpus.FromText("abc", validationFraction: 0);
        Assert.Equal("abc", Text(corpus.Train));
        Assert.True(corpus.Validation.IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => TextCorpus.FromText("abc", validationFraction: 1));
    }

    [Fact]
    public void A_directory_corpus_is_deterministic_and_skips_binary_files()
    {
        Write("b.txt", "second");
        Write("a.txt", "first");
        File.WriteAllBytes(Path.Combine(_root, "blob.bin"), [1, 0, 2]);

        var once = TextCorpus.FromDirectory(_root, validationFraction: 0);
        var again = TextCorpus.FromPath(_root, validationFraction: 0);

        Assert.Equal("first\n\nsecond", Text(once.Train));
        Assert.Equal(once.Train.ToArray(), again.Train.ToArray());
        Assert.Equal<string>(["a.txt", "b.txt"], once.Documents);
    }

    [Fact]
    public void Missing_or_empty_sources_give_clear_errors()
    {
        Assert.Throws<FileNotFoundException>(() => TextCorpus.FromPath(Path.Combine(_root, "nope")));
        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.FromSourceTree(_root));
        Assert.Contains(".md", error.Message);
    }

    [Fact]
    public void Repository_root_is_the_nearest_ancestor_with_the_marker()
    {
        Write("Repo.sln", "");
        Write("src/deep/er/file.cs", "");
        var deep = Path.Combine(_root, "src", "deep", "er");

        Assert.Equal(_root, RepositoryLocator.FindAncestorContaining("Repo.sln", null, deep));
        Assert.Equal(_root, RepositoryLocator.FindAncestorContaining("Repo.sln", Path.GetTempPath(), deep));
        Assert.Null(RepositoryLocator.FindAncestorContaining("No-such-marker-" + Guid.NewGuid() + ".sln", deep));
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
