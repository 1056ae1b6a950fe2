using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>The closed, ordered list of frame features the generator knows, and what the frame emitters ask of it.</summary>
    internal static class FrameFeatures
    {
        /// <summary>
        /// Every frame feature, one line each. The order is the order in which their hooks run, so it orders the
        /// fields, members, sublayers and nested types that several features of one model add.
        /// </summary>
        public static readonly ImmutableArray<FrameFeature> All = ImmutableArray.Create<FrameFeature>(
            new ReversibleBlocksFeature(),
            new CrossAttentionFeature(),
            new SegmentMemoryFeature(),
            new ChunkedFeedForwardFeature());

        /// <summary>The features of <paramref name="spec"/>'s model, in <see cref="All"/>'s order.</summary>
        public static IEnumerable<FrameFeature> Of(ModelSpec spec) => All.Where(feature => feature.AppliesTo(spec));

        /// <summary>True when a feature of the model rules out the recurrent stepping API.</summary>
        public static bool DisableStepping(ModelSpec spec) => Of(spec).Any(feature => feature.DisablesStepping);

        /// <summary>The feature that runs the model's stack of blocks, or null for the plain loop.</summary>
        public static FrameFeature? StackRunner(ModelSpec spec) =>
            TheOnly(spec, feature => feature.RunsTheStack, "the stack of blocks");

        /// <summary>The feature that writes the feed-forward network's forward, or null for a plain forward.</summary>
        public static FrameFeature? FeedForwardRunner(ModelSpec spec) =>
            TheOnly(spec, feature => feature.RunsTheFeedForward, "the feed-forward network");

        // Two features cannot both own one part of the frame; the spec rules refuse such a model before emission.
        private static FrameFeature? TheOnly(ModelSpec spec, Func<FrameFeature, bool> owns, string part)
        {
            var owners = Of(spec).Where(owns).ToList();
            if (owners.Count > 1)
                throw new InvalidOperationException($"{string.Join(" and ", owners.Select(o => o.GetType().Name))} both run {part} of {spec.Name}.");
            return owners.FirstOrDefault();
        }
    }
}
