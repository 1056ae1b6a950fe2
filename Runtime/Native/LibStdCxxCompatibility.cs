// Build-time fix that lets TorchSharp 0.107 load where the system libstdc++ is older than the one
// libLibTorchSharp.so was linked against (Debian 12, Ubuntu 22.04, ...).
//
// libLibTorchSharp.so asks for GLIBCXX_3.4.32 only because GCC 13's <iostream> plants a reference to
// the marker symbol `std::ios_base_library_init()`. Nothing ever calls it (no relocation refers to
// it), so the requirement is spurious. This file rewrites such requirements in a *copy* of the
// library: the version-needed entry is pointed at a version the system does provide, and the marker
// symbols are made unversioned. Requirements that back a relocated symbol are never touched: those
// symbols are really used, and the patch refuses rather than produce a library that fails later.
//
// The file is compiled twice: by MSBuild's RoslynCodeTaskFactory (XformerDsl.Runtime.targets), where
// the task class below wraps it, and into the tests with XFORMERDSL_NO_MSBUILD defined.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace XformerDsl.Native
{
    /// <summary>The outcome of planning a patch: what changed, or why nothing did.</summary>
    public sealed class ElfVersionPatchResult
    {
        public ElfVersionPatchResult(byte[]? patched, IReadOnlyList<string> messages, bool refused)
        {
            Patched = patched;
            Messages = messages;
            Refused = refused;
        }

        /// <summary>The patched image, or null when nothing needed patching (or it was refused).</summary>
        public byte[]? Patched { get; }
        public IReadOnlyList<string> Messages { get; }
        /// <summary>True when a missing version backs a relocated symbol, so patching would be unsafe.</summary>
        public bool Refused { get; }
    }

    /// <summary>Pure functions over ELF64 little-endian images: read symbol versions, rewrite spurious requirements.</summary>
    public static class ElfSymbolVersions
    {
        private const uint ShtRela = 4, ShtDynsym = 11, ShtRel = 9;
        private const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
        private const ushort VerNdxGlobal = 1;

        private readonly struct Section
        {
            public Section(uint type, long offset, long size, uint link, long entSize)
            { Type = type; Offset = offset; Size = size; Link = link; EntSize = entSize; }
            public uint Type { get; }
            public long Offset { get; }
            public long Size { get; }
            public uint Link { get; }
            public long EntSize { get; }
        }

        /// <summary>The version names a shared library defines (its .gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
        public static IReadOnlyCollection<string> DefinedVersions(byte[] elf)
        {
            var sections = ReadSections(elf);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var verdef in sections.Where(s => s.Type == ShtGnuVerdef))
            {
                var strtab = sections[(int)verdef.Link];
                long entry = verdef.Offset;
                while (true)
                {
                    ushort count = U16(elf, entry + 6);
                    long aux = entry + U32(elf, entry + 12);
                    for (int i = 0; i < count; i++)
                    {
                        names.Add(CString(elf, strtab.Offset + U32(elf, aux)));
                        uint nextAux = U32(elf, aux + 4);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, entry + 16);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return names;
        }

        /// <summary>The versions an ELF image requires of <paramref name="neededFile"/>, with the hashes its linker stored.</summary>
        public static IReadOnlyList<KeyValuePair<string, uint>> RequiredVersions(byte[] elf, string neededFile)
        {
            var sections = ReadSections(elf);
            var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
            var result = new List<KeyValuePair<string, uint>>();
            if (verneed.Type == 0) return result;
            var dynstr = sections[(int)verneed.Link];
            foreach (long aux in NeededAuxEntries(elf, verneed, dynstr, neededFile))
                result.Add(new KeyValuePair<string, uint>(AuxName(elf, dynstr, aux), U32(elf, aux)));
            return result;
        }

        /// <summary>
        /// Rewrites the version requirements on <paramref name="neededFile"/> that <paramref name="provided"/>
        /// lacks, provided no relocation uses a symbol bound to them. Returns a patched copy; never mutates the input.
        /// </summary>
        public static ElfVersionPatchResult RelaxUnusedRequirements(byte[] elf, string neededFile, IReadOnlyCollection<string> provided)
        {
            var messages = new List<string>();
            var sections = ReadSections(elf);
            var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
            var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
            var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
            if (verneed.Type == 0 || versym.Type == 0 || dynsym.Type == 0)
                return new ElfVersionPatchResult(null, new[] { "no symbol versioning sections; nothing to do" }, refused: false);

            var dynstr = sections[(int)verneed.Link];
            var relocated = RelocatedSymbolIndices(elf, sections);
            var image = (byte[])elf.Clone();
            bool changed = false, refused = false;

            var auxes = NeededAuxEntries(image, verneed, dynstr, neededFile);
            foreach (long missing in auxes.Where(a => !provided.Contains(AuxName(image, dynstr, a))))
            {
                string name = AuxName(image, dynstr, missing);
                ushort versionIndex = (ushort)(U16(image, missing + 6) & 0x7fff);
                var users = SymbolsWithVersion(image, versym, versionIndex);
                var usedUsers = users.Where(relocated.Contains).ToList();
                if (usedUsers.Count > 0)
                {
                    refused = true;
                    messages.Add($"{neededFile} {name} is required by relocated symbol(s) " +
                        string.Join(", ", usedUsers.Take(5).Select(u => SymbolName(image, dynsym, sections, u))) +
                        (usedUsers.Count > 5 ? ", ..." : "") + "; the system library must be upgraded");
                    continue;
                }

                // Substitute a version of the same family (GLIBCXX_ or CXXABI_) that the system provides.
                string prefix = name.Substring(0, name.IndexOf('_') + 1);
                long replacement = auxes.FirstOrDefault(a => a != missing
                    && AuxName(image, dynstr, a).StartsWith(prefix, StringComparison.Ordinal)
                    && provided.Contains(AuxName(image, dynstr, a)));
                if (replacement == 0)
                {
                    refused = true;
                    messages.Add($"{neededFile} {name}: no provided {prefix}* version to substitute");
                    continue;
                }

                string replacementName = AuxName(image, dynstr, replacement);
                WriteU32(image, missing + 8, U32(image, replacement + 8));   // vna_name
                WriteU32(image, missing, ElfHash(replacementName));        // vna_hash
                foreach (int symbol in users)
                    WriteU16(image, versym.Offset + 2L * symbol, VerNdxGlobal);
                changed = true;
                messages.Add($"{neededFile} {name} -> {replacementName}; unreferenced marker symbol(s) " +
                    string.Join(", ", users.Select(u => SymbolName(image, dynsym, sections, u))) + " made unversioned");
            }

            if (!changed && !refused)
                messages.Add($"every {neededFile} version required is provided; nothing to do");
            return new ElfVersionPatchResult(changed && !refused ? image : null, messages, refused);
        }

        /// <summary>The System V ELF hash, as stored in vna_hash.</summary>
        public static uint ElfHash(string name)
        {
            uint h = 0;
            foreach (byte c in Encoding.ASCII.GetBytes(name))
            {
                h = (h << 4) + c;
                uint g = h & 0xf0000000;
                if (g != 0) h ^= g >> 24;
                h &= ~g;
            }
            return h;
        }

        private static List<long> NeededAuxEntries(byte[] image, Section verneed, Section dynstr, string neededFile)
        {
            var auxes = new List<long>();
            long entry = verneed.Offset;
            while (true)
            {
                ushort count = U16(image, entry + 2);
                if (CString(image, dynstr.Offset + U32(image, entry + 4)) == neededFile)
                {
                    long aux = entry + U32(image, entry + 8);
                    for (int i = 0; i < count; i++)
                    {
                        auxes.Add(aux);
                        uint nextAux = U32(image, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                }
                uint next = U32(image, entry + 12);
                if (next == 0) return auxes;
                entry += next;
            }
        }

        private static string AuxName(byte[] image, Section dynstr, long aux) => CString(image, dynstr.Offset + U32(image, aux + 8));

        private static List<int> SymbolsWithVersion(byte[] image, Section versym, ushort versionIndex)
        {
            var result = new List<int>();
            for (int i = 0; i < versym.Size / 2; i++)
                if ((U16(image, versym.Offset + 2L * i) & 0x7fff) == versionIndex)
                    result.Add(i);
            return result;
        }

        private static HashSet<int> RelocatedSymbolIndices(byte[] elf, Section[] sections)
        {
            var indices = new HashSet<int>();
            foreach (var section in sections.Where(s => s.Type == ShtRela || s.Type == ShtRel))
            {
                long entSize = section.EntSize != 0 ? section.EntSize : (section.Type == ShtRela ? 24 : 16);
                for (long at = section.Offset; at + entSize <= section.Offset + section.Size; at += entSize)
                    indices.Add((int)(U64(elf, at + 8) >> 32));   // r_info's high half is the symbol index
            }
            return indices;
        }

        private static string SymbolName(byte[] image, Section dynsym, Section[] sections, int index)
        {
            var strtab = sections[(int)dynsym.Link];
            return CString(image, strtab.Offset + U32(image, dynsym.Offset + 24L * index));
        }

        private static Section[] ReadSections(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3a), shnum = U16(elf, 0x3c);
            var sections = new Section[shnum];
            for (int i = 0; i < shnum; i++)
            {
                long at = shoff + (long)i * shentsize;
                sections[i] = new Section(U32(elf, at + 4), (long)U64(elf, at + 0x18), (long)U64(elf, at + 0x20),
                    U32(elf, at + 0x28), (long)U64(elf, at + 0x38));
            }
            return sections;
        }

        private static ushort U16(byte[] b, long at) => (ushort)(b[at] | b[at + 1] << 8);
        private static uint U32(byte[] b, long at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);
        private static ulong U64(byte[] b, long at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;
        private static void WriteU16(byte[] b, long at, ushort v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); }
        private static void WriteU32(byte[] b, long at, uint v) { for (int i = 0; i < 4; i++) b[at + i] = (byte)(v >> (8 * i)); }

        private static string CString(byte[] b, long at)
        {
            long end = at;
            while (b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
        }
    }

    /// <summary>Finds the libstdc++ the dynamic loader will pick up on this machine.</summary>
    public static class SystemLibStdCxx
    {
        public const string FileName = "libstdc++.so.6";

        private static readonly string[] StandardDirectories =
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
            "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        };

        /// <summary>LD_LIBRARY_PATH first, as the loader searches it first; then the standard directories.</summary>
        public static string? Locate(string? ldLibraryPath)
        {
            var directories = (ldLibraryPath ?? "").Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries)
                .Concat(StandardDirectories);
            return directories.Select(d => Path.Combine(d, FileName)).FirstOrDefault(File.Exists);
        }
    }

#if !XFORMERDSL_NO_MSBUILD
    /// <summary>
    /// MSBuild task: patch <c>libLibTorchSharp.so</c> in an output directory when the system libstdc++
    /// lacks a version it asks for only spuriously. A no-op elsewhere (other OSes, newer libstdc++).
    /// </summary>
    public sealed class PatchLibTorchSharpForSystemLibStdCxx : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string LibraryPath { get; set; } = "";

        public override bool Execute()
        {
            if (!File.Exists(LibraryPath))
                return true;
            string? system = SystemLibStdCxx.Locate(Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"));
            if (system is null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "XformerDsl: no system libstdc++ found; libLibTorchSharp.so left as shipped.");
                return true;
            }

            var provided = ElfSymbolVersions.DefinedVersions(File.ReadAllBytes(system));
            var result = ElfSymbolVersions.RelaxUnusedRequirements(File.ReadAllBytes(LibraryPath), SystemLibStdCxx.FileName, provided);
            foreach (string message in result.Messages)
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "XformerDsl: " + message);
            if (result.Refused)
            {
                Log.LogWarning("XformerDsl: libLibTorchSharp.so needs a newer libstdc++ than " + system + " provides, and the requirement cannot be relaxed safely: " + string.Join("; ", result.Messages));
                return true;
            }
            if (result.Patched is null)
                return true;

            // The output file may be a hard link into the NuGet cache: write a new file and move it over
            // the link, never write through it.
            string temporary = LibraryPath + ".xformerdsl-patch";
            File.WriteAllBytes(temporary, result.Patched);
            File.Delete(LibraryPath);
            File.Move(temporary, LibraryPath);
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "XformerDsl: patched " + LibraryPath + " to load with " + system);
            return true;
        }
    }
#endif
}
