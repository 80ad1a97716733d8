# Generates assembly/winograd4.ts: Winograd F(4x4, 3x3) with the transforms unrolled.
import os
here = os.path.dirname(os.path.abspath(__file__))
from fractions import Fraction as Fr
BT=[[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]]
G=[[Fr(1,4),0,0],[Fr(-1,6),Fr(-1,6),Fr(-1,6)],[Fr(-1,6),Fr(1,6),Fr(-1,6)],[Fr(1,24),Fr(1,12),Fr(1,6)],[Fr(1,24),Fr(-1,12),Fr(1,6)],[0,0,1]]
AT=[[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]
def kname(c):
    c=Fr(c); return 'k'+(str(c.numerator) if c.denominator==1 else f"{c.numerator}_{c.denominator}")
consts=set()
def vlin(terms):
    terms=[(Fr(c),n) for c,n in terms if c!=0]
    out=None
    for c,n in terms:
        a=abs(c)
        term=n if a==1 else f"f32x4.mul({kname(a)}, {n})"
        if a!=1: consts.add(a)
        if out is None: out=term if c>0 else f"f32x4.neg({term})"
        else: out=f"f32x4.{'add' if c>0 else 'sub'}({out}, {term})"
    return out or "zero"
def slin(terms):
    terms=[(Fr(c),n) for c,n in terms if c!=0]
    out=None
    for c,n in terms:
        a=abs(c)
        term=n if a==1 else f"<f32>{float(a)!r} * {n}"
        if out is None: out=term if c>0 else f"-({term})"
        else: out=f"{out} {'+' if c>0 else '-'} {term}"
    return out or "<f32>0"
def constdecl():
    s="".join(f"  const {kname(a)} = f32x4.splat({float(a)!r});\n" for a in sorted(consts))
    consts.clear(); return s

# input transform body: d{r}{c} -> stores to o + plane*ps
def input_body():
    L=[]
    for i in range(6):
        for c in range(6): L.append(f"      const t{i}{c} = {vlin([(BT[i][r], f'd{r}{c}') for r in range(6)])};")
    for i in range(6):
        for j in range(6): L.append(f"      v128.store(o + {i*6+j} * ps, {vlin([(BT[j][c], f't{i}{c}') for c in range(6)])});")
    return "\n".join(L)
def output_body():
    L=[]
    for i in range(6):
        for j in range(6): L.append(f"      const m{i}{j} = v128.load(p + {i*6+j} * ps);")
    for a in range(4):
        for j in range(6): L.append(f"      const s{a}{j} = {vlin([(AT[a][i], f'm{i}{j}') for i in range(6)])};")
    for a in range(4):
        for b in range(4):
            L.append(f"      if (ok{a}{b}) v128.store(row + {a} * rs + {b} * cs + o, {vlin([(AT[b][j], f's{a}{j}') for j in range(6)])});")
    return "\n".join(L)
def dy_body():
    L=[]
    for a in range(4):
        for b in range(4): L.append(f"      const y{a}{b} = ok{a}{b} ? v128.load(row + {a} * rs + {b} * cs + o) : zero;")
    for i in range(6):
        for b in range(4): L.append(f"      const r{i}{b} = {vlin([(AT[a][i], f'y{a}{b}') for a in range(4)])};")
    for i in range(6):
        for j in range(6): L.append(f"      v128.store(q + {i*6+j} * ps, {vlin([(AT[b][j], f'r{i}{b}') for b in range(4)])});")
    return "\n".join(L)
def fout_body():
    L=[]
    for i in range(6):
        for j in range(6): L.append(f"    const s{i}{j} = v128.load(p + {i*6+j} * plane);")
    for k in range(3):
        for j in range(6): L.append(f"    const a{k}{j} = {vlin([(G[i][k], f's{i}{j}') for i in range(6)])};")
    for k in range(3):
        for l in range(3): L.append(f"    v128.store(d + {3*k+l} * plane, {vlin([(G[j][l], f'a{k}{j}') for j in range(6)])});")
    return "\n".join(L)
def filt_body():
    L=[]
    for i in range(6):
        for c in range(3): L.append(f"      const t{i}{c}: f32 = {slin([(G[i][r], f'g{r}{c}') for r in range(3)])};")
    for i in range(6):
        for j in range(6): L.append(f"      store<f32>(at(u, {i*6+j} * block + o), {slin([(G[j][c], f't{i}{c}') for c in range(3)])});")
    return "\n".join(L)

def vfilt_body():
    L=[]
    for i in range(6):
        for c in range(3): L.append(f"      const t{i}{c} = {vlin([(G[i][r], f'g{r}{c}') for r in range(3)])};")
    for i in range(6):
        for j in range(6): L.append(f"      const u{i}{j} = {vlin([(G[j][c], f't{i}{c}') for c in range(3)])};")
    return "\n".join(L)
def vfilt_stores(flip):
    L=[]
    for i in range(6):
        for j in range(6):
            if not flip: L.append(f"      v128.store(o + {i*6+j} * bs, u{i}{j});")
            else:
                for l in range(4): L.append(f"      store<f32>(o + {i*6+j} * bs + {l} * ls, f32x4.extract_lane(u{i}{j}, {l}));")
    return "\n".join(L)
vb=vfilt_body(); vc=constdecl()
ib=input_body(); ic=constdecl()
ob=output_body(); oc=constdecl()
db=dy_body(); dc=constdecl()
fb=fout_body(); fc=constdecl()
gb=filt_body()
loads="\n".join(f"      const d{r}{c} = ok{r}r && ok{c}c ? v128.load(p + {r} * rs + {c} * cs) : zero;" for r in range(6) for c in range(6))
rowok="\n".join(f"    const ok{r}r = ih + {r} >= 0 && ih + {r} < h;\n    const ok{r}c = iw + {r} >= 0 && iw + {r} < w;" for r in range(6))
outok="\n".join(f"    const ok{a}{b} = y0 + {a} < oh && x0 + {b} < ow;" for a in range(4) for b in range(4))
vgl="\n".join(f"      const g{r}{c} = v128.load(p + {3*r+c} * ps);" for r in range(3) for c in range(3))
vglf="\n".join(f"      const g{r}{c} = v128.load(p + {8-(3*r+c)} * ps);" for r in range(3) for c in range(3))
gl="\n".join(f"      const g{r}{c} = load<f32>(at(w, (flip ? {8-(3*r+c)} : {3*r+c}) * plane + base));" for r in range(3) for c in range(3))
src=open(os.path.join(here, 'winograd4.template')).read()
for k,v in {'@INPUT_CONSTS@':ic,'@INPUT_BODY@':ib,'@OUTPUT_CONSTS@':oc,'@OUTPUT_BODY@':ob,'@DY_CONSTS@':dc,'@DY_BODY@':db,'@FOUT_CONSTS@':fc,'@FOUT_BODY@':fb,'@FILTER_BODY@':gb,'@LOADS@':loads,'@ROWOK@':rowok,'@OUTOK@':outok,'@GLOADS@':gl,'@VFILTER_CONSTS@':vc,'@VFILTER_BODY@':vb,'@VGLOADS@':vgl,'@VGLOADS_FLIP@':vglf,'@VSTORES@':vfilt_stores(False),'@VSTORES_FLIP@':vfilt_stores(True)}.items():
    src=src.replace(k,v)
open(os.path.join(here, '..', 'winograd4.ts'), 'w').write(src)
