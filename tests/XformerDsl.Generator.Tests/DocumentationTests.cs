extern alias generator;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using AttentionFamilies = generator::XformerDsl.Generator.Families.AttentionFamilies;
using DiagnosticDescriptors = generator::XformerDsl.Generator.Diagnostics.DiagnosticDescriptors;
using SpecRules = generator::XformerDsl.Specs.SpecRules;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The documentation a user reads agrees with the code: every diagnostic the generator can report has a help page, a
/// row in the reference's diagnostics table and a release-tracking row, and nothing documents an ID that does not exist;
/// every attention family attribute has a page and a row in the families table, and each page's argument table names
/// exactly the attribute's arguments with their real defaults; the examples in the reference generate and compile; every
/// relative link resolves. The lists come from the code (<see cref="DiagnosticDescriptors.All"/>, the attribute types in
/// XformerDsl.Dsl), so a new diagnostic or family fails here until its documentation exists.
/// </summary>
public class DocumentationTests
{
    private static readonly Regex s_diagnosticId = new(@"\bXF[0-9]{4}\b", RegexOptions.Compiled);

    /// <summary>The repository root: the nearest directory above the test's output that holds XformerDsl.sln.</summary>
    private static string Root { get; } = FindRoot();

    private static IReadOnlyList<string> DescriptorIds { get; } = DiagnosticDescriptors.All.Select(d => d.Id).ToList();

    /// <summary>The non-abstract attributes of XformerDsl.Dsl that derive from AttentionAttribute, by name without "Attribute".</summary>
    private static IReadOnlyList<Type> FamilyAttributes { get; } = typeof(AttentionAttribute).Assembly.GetTypes()
        .Where(type => type.IsSubclassOf(typeof(AttentionAttribute)) && !type.IsAbstract)
        .OrderBy(type => type.Name, StringComparer.Ordinal)
        .ToList();

    public static TheoryData<string> Families()
    {
        var data = new TheoryData<string>();
        foreach (var type in FamilyAttributes)
            data.Add(AttributeName(type));
        return data;
    }

    // ---- Diagnostics ------------------------------------------------------------------------------------------------

    [Fact]
    public void Every_descriptor_has_a_help_page_and_every_help_page_a_descriptor()
    {
        var pages = Directory.GetFiles(Path.Combine(Root, "docs", "diagnostics"), "*.md")
            .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(DescriptorIds.Order(StringComparer.Ordinal), pages);
        foreach (var id in DescriptorIds)
        {
            // The page is about its ID: its title names it.
            string firstLine = File.ReadLines(Path.Combine(Root, "docs", "diagnostics", id + ".md")).First();
            Assert.StartsWith($"# {id}:", firstLine);
        }
    }

    [Fact]
    public void Every_help_link_points_at_the_descriptors_own_page()
    {
        // The host is a placeholder (a known issue); the path must name the page that exists for this ID.
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            Assert.EndsWith($"/docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(Root, "docs", "diagnostics", descriptor.Id + ".md")));
        }
    }

    /// <summary>The frame's diagnostics (not a family's): the IDs the frame's rule set reserves.</summary>
    private static IReadOnlyList<string> FrameDescriptorIds { get; } = DescriptorIds.Where(SpecRules.All.Reserves).ToList();

    [Fact]
    public void Diagnostics_table_has_one_row_per_frame_descriptor_linking_its_page_with_its_severity()
    {
        // A family's diagnostics are on its page (next test), so adding a family adds no row here.
        var rows = TableRows(Section(Read("docs/dsl.md"), "## Diagnostics"))
            .Where(cells => s_diagnosticId.IsMatch(cells[0]))
            .ToList();

        Assert.Equal(FrameDescriptorIds, rows.Select(cells => s_diagnosticId.Match(cells[0]).Value));
        foreach (var cells in rows)
        {
            string id = s_diagnosticId.Match(cells[0]).Value;
            Assert.Equal($"[{id}](diagnostics/{id}.md)", cells[0]);
            Assert.Equal(DiagnosticDescriptors.ById(id).DefaultSeverity.ToString().ToLowerInvariant(), cells[1]);
        }
    }

    [Fact]
    public void Every_family_diagnostic_is_listed_on_the_page_of_a_family_that_owns_it()
    {
        foreach (var id in DescriptorIds.Except(FrameDescriptorIds))
        {
            var owners = AttentionFamilies.All.Where(family => family.Rules is { } rules && rules.Reserves(id)).ToList();
            Assert.NotEmpty(owners);
            Assert.True(owners.Any(family => Section(Read($"docs/families/{family.AttributeName}.md"), "## Diagnostics").Contains($"[{id}](../diagnostics/{id}.md)", StringComparison.Ordinal)),
                $"{id} is listed on no page of the families that own it ({string.Join(", ", owners.Select(f => f.AttributeName))})");
        }
    }

    [Fact]
    public void Analyzer_releases_have_one_row_per_descriptor_with_its_category_and_severity()
    {
        var rows = new[] { "AnalyzerReleases.Shipped.md", "AnalyzerReleases.Unshipped.md" }
            .SelectMany(file => File.ReadAllLines(Path.Combine(Root, "Generator", file)))
            .Where(line => s_diagnosticId.IsMatch(line) && line.Contains('|'))
            .Select(line => line.Split('|').Select(cell => cell.Trim()).ToArray())
            .ToList();

        Assert.Equal(DescriptorIds.Order(StringComparer.Ordinal), rows.Select(cells => cells[0]).Order(StringComparer.Ordinal));
        foreach (var cells in rows)
        {
            var descriptor = DiagnosticDescriptors.ById(cells[0]);
            Assert.Equal(descriptor.Category, cells[1]);
            Assert.Equal(descriptor.DefaultSeverity.ToString(), cells[2]);
        }
    }

    [Fact]
    public void Documentation_names_no_diagnostic_that_does_not_exist()
    {
        var known = DescriptorIds.ToHashSet();
        foreach (var (path, text) in MarkdownFiles())
        {
            // An ID block such as XF0072–XF0079 (the families table) reserves IDs; its ends need not exist yet.
            var withoutBlocks = Regex.Replace(text, @"XF[0-9]{4}–XF[0-9]{4}", "");
            var unknown = s_diagnosticId.Matches(withoutBlocks).Select(m => m.Value).Where(id => !known.Contains(id)).Distinct().ToList();
            Assert.True(unknown.Count == 0, $"{path} names {string.Join(", ", unknown)}, which no descriptor has");
        }
    }

    [Fact]
    public void Readme_states_no_range_of_diagnostic_ids()
    {
        // Ranges go stale as families add IDs (README once said XF0001–XF0026 and XF0070–XF0073 while XF0030–XF0039 and
        // XF0050–XF0055 existed); it points at the diagnostics table instead.
        var range = new Regex(@"XF[0-9]{4}\s*(–|—|-|\.\.|to|through)\s*(XF)?[0-9]{2,4}\b");
        var match = range.Match(Read("README.md"));
        Assert.False(match.Success, $"README.md states a range of IDs: '{match.Value}'; link the diagnostics table (docs/dsl.md#diagnostics) instead");
        Assert.Contains("docs/dsl.md#diagnostics", Read("README.md"));
    }

    // ---- Attention families -----------------------------------------------------------------------------------------

    [Fact]
    public void The_families_are_found_in_the_dsl_assembly()
    {
        // Guards the reflection the other family tests rely on: the families every example uses are among them.
        var names = FamilyAttributes.Select(AttributeName).ToList();
        Assert.Contains("FullAttention", names);
        Assert.Contains("LinearAttention", names);
        Assert.True(names.Count >= 8, string.Join(", ", names));
    }

    [Fact]
    public void Every_family_page_belongs_to_a_family_attribute()
    {
        var pages = Directory.GetFiles(Path.Combine(Root, "docs", "families"), "*.md")
            .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);

        Assert.Equal(FamilyAttributes.Select(AttributeName).Order(StringComparer.Ordinal), pages);
    }

    [Fact]
    public void Families_table_has_one_row_per_family_linking_its_page()
    {
        var rows = TableRows(Section(Read("docs/dsl.md"), "### Attention (one or more)"))
            .Where(cells => cells[0].Contains("(families/", StringComparison.Ordinal))
            .Select(cells => cells[0])
            .ToList();

        Assert.Equal(
            FamilyAttributes.Select(AttributeName).Order(StringComparer.Ordinal),
            rows.Select(cell => Regex.Match(cell, @"\(families/(\w+)\.md\)").Groups[1].Value).Order(StringComparer.Ordinal));
        foreach (var name in FamilyAttributes.Select(AttributeName))
            Assert.Contains($"[`[{name}]`](families/{name}.md)", rows);
    }

    [Fact]
    public void Families_table_gives_each_family_the_id_blocks_its_rules_own()
    {
        var blockOf = TableRows(Section(Read("docs/dsl.md"), "### Attention (one or more)"))
            .Where(cells => cells[0].Contains("(families/", StringComparison.Ordinal))
            .ToDictionary(cells => Regex.Match(cells[0], @"\(families/(\w+)\.md\)").Groups[1].Value, cells => cells[^1]);
        foreach (var family in AttentionFamilies.All)
            Assert.Equal(family.Rules is { } rules ? string.Join(", ", rules.Blocks) : "—", blockOf[family.AttributeName]);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Family_page_is_titled_by_its_attribute_and_has_every_section(string family)
    {
        string page = Read($"docs/families/{family}.md");

        Assert.StartsWith($"# `[{family}]`\n", page);
        foreach (var heading in new[] { "## What it computes", "## Arguments", "## Diagnostics", "## Complexity", "## Fused kernel and fallback" })
            Assert.Contains("\n" + heading + "\n", page);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Family_page_documents_exactly_the_attributes_arguments_with_their_defaults(string family)
    {
        var type = FamilyAttributes.Single(t => AttributeName(t) == family);
        // Layers, Every and Stack are common to every family and documented once, in the reference.
        CheckArgumentTable(type, Section(Read($"docs/families/{family}.md"), "## Arguments"), $"docs/families/{family}.md",
            except: [nameof(AttentionAttribute.Layers), nameof(AttentionAttribute.Every), nameof(AttentionAttribute.Stack)]);
    }

    [Theory]
    [InlineData(typeof(TransformerAttribute))]
    [InlineData(typeof(FeedForwardAttribute))]
    [InlineData(typeof(PositionsAttribute))]
    [InlineData(typeof(NormalizationAttribute))]
    [InlineData(typeof(ClassificationHeadAttribute))]
    [InlineData(typeof(MaskedLanguageModelHeadAttribute))]
    [InlineData(typeof(EncoderAttribute))]
    public void Reference_documents_exactly_each_frame_attributes_arguments_with_their_defaults(Type attribute)
    {
        string name = AttributeName(attribute);
        string dsl = Read("docs/dsl.md");
        string heading = dsl.Split('\n').First(line => line.StartsWith($"### `[{name}]`", StringComparison.Ordinal));
        CheckArgumentTable(attribute, Section(dsl, heading), "docs/dsl.md " + heading, except: []);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Family_page_lists_its_diagnostics_as_links_to_their_pages(string family)
    {
        string diagnostics = Section(Read($"docs/families/{family}.md"), "## Diagnostics");
        var ids = s_diagnosticId.Matches(diagnostics).Select(m => m.Value).Distinct().ToList();

        Assert.NotEmpty(ids);
        foreach (var id in ids)
            Assert.Contains($"[{id}](../diagnostics/{id}.md)", diagnostics);
    }

    // ---- Examples and links -----------------------------------------------------------------------------------------

    public static TheoryData<string, int> Examples()
    {
        var data = new TheoryData<string, int>();
        foreach (var (path, text) in ReferenceFiles())
        {
            var blocks = CSharpBlocks(text);
            for (int i = 0; i < blocks.Count; i++)
                if (blocks[i].Contains("[Transformer(", StringComparison.Ordinal) && blocks[i].Contains("partial class", StringComparison.Ordinal))
                    data.Add(path, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Declaration_examples_in_the_reference_generate_and_compile(string path, int block)
    {
        string example = CSharpBlocks(Read(path))[block];
        var run = GeneratorHarness.Run("using XformerDsl;\n" + example, GeneratorHarness.UserProjectReferences);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(Regex.Matches(example, @"partial class \w+").Count, run.Sources.Count);
        Assert.Empty(run.CompilationProblems.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
    }

    [Fact]
    public void Every_relative_link_in_the_documentation_resolves()
    {
        var broken = new List<string>();
        foreach (var (path, text) in MarkdownFiles())
        {
            foreach (Match link in Regex.Matches(WithoutCodeBlocks(text), @"\]\(([^)\s]+)\)"))
            {
                string target = link.Groups[1].Value;
                if (Regex.IsMatch(target, "^[a-z]+:", RegexOptions.IgnoreCase))
                    continue;
                int hash = target.IndexOf('#');
                string file = hash < 0 ? target : target[..hash];
                string? anchor = hash < 0 ? null : target[(hash + 1)..];
                string full = file.Length == 0 ? Path.Combine(Root, path) : Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(path)!, file));
                if (!File.Exists(full) && !Directory.Exists(full))
                    broken.Add($"{path}: {target} (no such file)");
                else if (anchor is not null && !(full.EndsWith(".md", StringComparison.Ordinal) && Anchors(File.ReadAllText(full)).Contains(anchor)))
                    broken.Add($"{path}: {target} (no such heading)");
            }
        }
        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join("\n", broken));
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------------

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "XformerDsl.sln")))
                return directory.FullName;
        throw new InvalidOperationException($"No XformerDsl.sln above {AppContext.BaseDirectory}.");
    }

    private static string Read(string relativePath) =>
        File.ReadAllText(Path.Combine(Root, relativePath)).Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string AttributeName(Type type) => type.Name[..^"Attribute".Length];

    /// <summary>README.md and every page under docs/, by path relative to the root.</summary>
    private static IEnumerable<(string Path, string Text)> MarkdownFiles() =>
        Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories)
            .Select(full => Path.GetRelativePath(Root, full))
            .Append("README.md")
            .Order(StringComparer.Ordinal)
            .Select(path => (path, Read(path)));

    /// <summary>The reference and the family pages (not the diagnostic pages, whose examples are errors on purpose).</summary>
    private static IEnumerable<(string Path, string Text)> ReferenceFiles() =>
        MarkdownFiles().Where(file => !file.Path.Contains("diagnostics", StringComparison.Ordinal) && file.Path != "README.md");

    private static List<string> CSharpBlocks(string markdown) =>
        Regex.Matches(markdown, @"^```csharp\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).ToList();

    private static string WithoutCodeBlocks(string markdown) =>
        Regex.Replace(markdown, @"^```.*?^```", "", RegexOptions.Multiline | RegexOptions.Singleline);

    /// <summary>The text from <paramref name="heading"/> (a whole line) to the next heading of the same or a higher level.</summary>
    private static string Section(string markdown, string heading)
    {
        var lines = markdown.Split('\n');
        int start = Array.IndexOf(lines, heading);
        Assert.True(start >= 0, $"no heading '{heading}'");
        int level = heading.TakeWhile(c => c == '#').Count();
        int end = start + 1;
        bool inCode = false;
        for (; end < lines.Length; end++)
        {
            if (lines[end].StartsWith("```", StringComparison.Ordinal))
                inCode = !inCode;
            int hashes = lines[end].TakeWhile(c => c == '#').Count();
            if (!inCode && hashes > 0 && hashes <= level && lines[end].Length > hashes && lines[end][hashes] == ' ')
                break;
        }
        return string.Join("\n", lines[start..end]);
    }

    /// <summary>The cells of every table row (not header or separator rows) in <paramref name="markdown"/>.</summary>
    private static IEnumerable<string[]> TableRows(string markdown) =>
        markdown.Split('\n')
            .Where(line => line.StartsWith('|') && !Regex.IsMatch(line, @"^\|[\s\-|:]+\|$"))
            .Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray());

    /// <summary>
    /// The argument table (header <c>| argument | type | default | …</c>) in <paramref name="section"/> names exactly the
    /// attribute's settable properties, less <paramref name="except"/>; each row's default is "required", "none" for a
    /// property that is null when left out, a literal in backticks equal to the property's value on a new attribute, or
    /// words (a default computed from other arguments, such as the head size).
    /// </summary>
    private static void CheckArgumentTable(Type attribute, string section, string where, string[] except)
    {
        var lines = section.Split('\n');
        int header = Array.FindIndex(lines, line => Regex.IsMatch(line, @"^\|\s*argument\s*\|\s*type\s*\|\s*default\s*\|"));
        Assert.True(header >= 0, $"{where}: no argument table");
        var rows = lines.Skip(header + 2).TakeWhile(line => line.StartsWith('|'))
            .Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray())
            .ToList();
        var properties = attribute.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && !except.Contains(p.Name))
            .ToDictionary(p => p.Name);
        var documented = rows.Select(cells => cells[0].Trim('`')).ToList();

        Assert.True(properties.Keys.Order(StringComparer.Ordinal).SequenceEqual(documented.Order(StringComparer.Ordinal)),
            $"{where} documents {string.Join(", ", documented)}; [{AttributeName(attribute)}] has {string.Join(", ", properties.Keys)}");

        object instance = Activator.CreateInstance(attribute)!;
        foreach (var cells in rows)
        {
            var property = properties[cells[0].Trim('`')];
            object? value = property.GetValue(instance);
            string cell = cells[2];
            var literal = Regex.Match(cell, "^`([^`]+)`$");
            if (cell == "required")
                Assert.True(value is null || value.Equals(Activator.CreateInstance(property.PropertyType)),
                    $"{where}: {property.Name} is documented as required but defaults to {value}");
            else if (cell == "none")
                Assert.True(value is null, $"{where}: {property.Name} is documented without a default but defaults to {value}");
            else if (literal.Success)
                Assert.True(SameValue(literal.Groups[1].Value, value),
                    $"{where}: {property.Name} is documented with default {cell} but defaults to {Format(value)}");
            else
                Assert.DoesNotContain('`', cell);
        }
    }

    private static bool SameValue(string literal, object? value) => value switch
    {
        null => literal == "null",
        bool b => literal == (b ? "true" : "false"),
        Enum e => literal == e.ToString() || literal == $"{e.GetType().Name}.{e}",
        int i => literal == i.ToString(CultureInfo.InvariantCulture),
        double d => double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed == d,
        _ => literal == Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static string Format(object? value) => value is null ? "null" : Convert.ToString(value, CultureInfo.InvariantCulture)!;

    /// <summary>The anchors GitHub makes of a page's headings: lower case, spaces to hyphens, punctuation dropped, repeats numbered.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in WithoutCodeBlocks(markdown.Replace("\r\n", "\n", StringComparison.Ordinal)).Split('\n'))
        {
            var heading = Regex.Match(line, "^#{1,6} (.*)$");
            if (!heading.Success)
                continue;
            string slug = string.Concat(heading.Groups[1].Value.Trim().ToLowerInvariant()
                .Where(c => char.IsLetterOrDigit(c) || c is '-' or '_' or ' ')).Replace(' ', '-');
            int count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }
        return anchors;
    }
}
