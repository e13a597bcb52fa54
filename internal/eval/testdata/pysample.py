import random, json, sys
cases=[(0,14042,200),(0,143,100),(0,70,50),(1,10,10),(7,1000,5),(123456789012,5000,300),(-5,300,64),(0,20,6),(3,22,21)]
out=[]
for seed,n,k in cases:
    out.append({"seed":seed,"n":n,"k":k,"idx":random.Random(seed).sample(range(n),k)})
json.dump(out, sys.stdout)
