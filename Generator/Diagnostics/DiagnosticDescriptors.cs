using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Families;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Diagnostics
{
    /// <summary>
    /// Every diagnostic the generator reports. IDs are stable; each has a page at <c>docs/diagnostics/{ID}.md</c>. The
    /// declaration rules (partial class, missing arguments, …) only the generator checks, and are declared here. The
    /// spec rules are shared with run-time validation and owned by the frame (<see cref="SpecRules"/>) or by a family
    /// (its <see cref="SpecRuleSet"/>, with its ID block); their descriptors are derived from the rules, so a new
    /// family adds none here. A test keeps <c>AnalyzerReleases.Unshipped.md</c> and the docs in step with <see cref="All"/>.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        public static readonly DiagnosticDescriptor ModelNotPartial = DescriptorFactory.Create(
            "XF0001", "Model class must be partial",
            "Class '{0}' has [Transformer] but is not partial; declare it as 'partial class {0}' so the generator can complete it",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor ModelIsGeneric = DescriptorFactory.Create(
            "XF0002", "Model class cannot be generic",
            "Class '{0}' is generic ({1}); remove the type parameters, a model's architecture is fixed at compile time",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor ModelIsStatic = DescriptorFactory.Create(
            "XF0003", "Model class cannot be static",
            "Class '{0}' is static; remove 'static', a model is a module you create with 'new {0}()'",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = DescriptorFactory.Create(
            "XF0004", "Type containing a model must be partial",
            "Class '{0}' is nested in '{1}', which is not partial; declare '{1}' as partial or move '{0}' out of it",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor ModelHasBaseClass = DescriptorFactory.Create(
            "XF0005", "Model class cannot declare a base class",
            "Class '{0}' derives from '{1}'; remove the base class, the generator makes '{0}' derive from torch.nn.Module<Tensor, Tensor>",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor UnsupportedTypeKind = DescriptorFactory.Create(
            "XF0006", "Model must be a plain partial class",
            "'{0}' is declared as {1}; declare it as 'public partial class {0}'",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor NoAttention = DescriptorFactory.Create(
            "XF0007", "Model declares no attention",
            "Model '{0}' declares no attention; add exactly one attention attribute, such as [FullAttention(Heads = 4)]",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor OrphanAttribute = DescriptorFactory.Create(
            "XF0009", "Attribute has no effect without [Transformer]",
            "[{0}] on '{1}' has no effect without [Transformer]; add [Transformer(Vocab = ..., Dim = ..., Depth = ..., MaxLength = ...)] to '{1}' or remove [{0}]",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor MissingRequiredArgument = DescriptorFactory.Create(
            "XF0010", "Required argument missing",
            "[{0}] needs {1}; add an argument such as '{1} = {2}'",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor RuntimeNotReferenced = DescriptorFactory.Create(
            "XF0011", "XformerDsl.Runtime is not referenced",
            "Model '{0}' needs '{1}' from XformerDsl.Runtime, which this project does not reference; add a reference to XformerDsl.Runtime (it brings TorchSharp)",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor ArgumentHasNoEffect = DescriptorFactory.Create(
            "XF0012", "Argument has no effect",
            "{0} = {1} has no effect because {2}; remove it, or {3}",
            DescriptorFactory.Declaration, DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor NameClash = DescriptorFactory.Create(
            "XF0020", "Name already used by the generated module",
            "Class '{0}' already uses the name '{1}', which the generated module needs; {2}",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor PrimaryConstructor = DescriptorFactory.Create(
            "XF0029", "Model has a primary constructor",
            "Class '{0}' declares the primary constructor '{0}{1}', but the generated module needs its own parameterless constructor to build the layers; remove the parameter list and keep your values in properties or fields",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor ConversionSourceNotAModel = DescriptorFactory.Create(
            "XF0054", "ConvertsFrom names a type that is not a model",
            "[ConvertsFrom] on '{0}' names {1}, which has no [Transformer]; name a [Transformer] class with the same frame, such as typeof(TinyGpt), or remove [ConvertsFrom]",
            DescriptorFactory.Declaration);

        public static readonly DiagnosticDescriptor IncompatibleConversion = DescriptorFactory.Create(
            "XF0055", "Models of a conversion have different frames",
            "{0} has {1} but {2} has {3}; {4}, so that every weight the two models share has the same shape and meaning",
            DescriptorFactory.Declaration);

        /// <summary>The descriptor of a spec rule: its ID, title and message are the rule's.</summary>
        public static readonly DiagnosticDescriptor TwoHeads = DescriptorFactory.Create(
            "XF0081", "Two output heads",
            "Model '{0}' declares both [{1}] and [{2}], but a model has one output head; keep the one its training needs",
            DescriptorFactory.Declaration);

        private static DiagnosticDescriptor FromRule(SpecRule rule) => DescriptorFactory.Create(rule.Id, rule.Title, rule.MessageFormat, DescriptorFactory.Specification);

        /// <summary>Every descriptor, in ID order: the declaration rules above, the frame's and the families' spec rules, and the families' own.</summary>
        public static ImmutableArray<DiagnosticDescriptor> All { get; } =
            new[] { ModelNotPartial, ModelIsGeneric, ModelIsStatic, ContainingTypeNotPartial, ModelHasBaseClass, UnsupportedTypeKind,
                    NoAttention, OrphanAttribute, MissingRequiredArgument, RuntimeNotReferenced, ArgumentHasNoEffect, NameClash,
                    PrimaryConstructor,                     ConversionSourceNotAModel, IncompatibleConversion, TwoHeads }
                .Concat(SpecRules.All.Rules.Concat(AttentionFamilies.RuleSets.SelectMany(set => set.Rules)).Select(FromRule))
                .Concat(AttentionFamilies.All.SelectMany(family => family.GeneratorDiagnostics))
                .GroupBy(descriptor => descriptor.Id)
                .Select(sameId => sameId.First())
                .OrderBy(descriptor => descriptor.Id, System.StringComparer.Ordinal)
                .ToImmutableArray();

        private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = All.ToDictionary(d => d.Id);

        /// <summary>The descriptor with this ID (IDs come from this table, so the lookup cannot miss).</summary>
        public static DiagnosticDescriptor ById(string id) => s_byId[id];

        /// <summary>The descriptor that reports a broken spec rule.</summary>
        public static DiagnosticDescriptor For(SpecRule rule) => s_byId[rule.Id];
    }
}
